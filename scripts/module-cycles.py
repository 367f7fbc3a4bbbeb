"""Cycles in maestro-session-core's module graph, from cargo-modules' DOT output on stdin or a file.

    cargo modules dependencies -p maestro-session-core --lib --no-fns --no-types --no-traits \
        --no-externs --no-sysroot --no-owns | python3 scripts/module-cycles.py

cargo-modules 0.27's own --acyclic also counts a type and its methods as a cycle, so this
checks the "uses" edges between modules, and between top-level folders. Exits 1 on a cycle.
"""
import re,sys,itertools
edges=set()
for l in (open(sys.argv[1]) if len(sys.argv) > 1 else sys.stdin):
    m=re.match(r'\s*"([^"]+)" -> "([^"]+)" \[label="uses"',l)
    if m:
        a,b=m.groups()
        if a=='maestro_session_core': continue
        edges.add((a,b))
def cycles(edges):
    g={}
    for a,b in edges:
        if a!=b: g.setdefault(a,set()).add(b)
    # Tarjan SCC
    idx={};low={};st=[];on=set();out=[];i=[0]
    def sc(v):
        idx[v]=low[v]=i[0];i[0]+=1;st.append(v);on.add(v)
        for w in g.get(v,()):
            if w not in idx: sc(w);low[v]=min(low[v],low[w])
            elif w in on: low[v]=min(low[v],idx[w])
        if low[v]==idx[v]:
            comp=[]
            while True:
                w=st.pop();on.discard(w);comp.append(w)
                if w==v:break
            if len(comp)>1: out.append(comp)
    for v in list(g):
        if v not in idx: sc(v)
    return out
top=lambda m: '::'.join(m.split('::')[:2])
found = cycles(edges) + cycles({(top(a), top(b)) for a, b in edges})
print(f"{len(edges)} module edges; cycles: {found or 'none'}")
sys.exit(1 if found else 0)
