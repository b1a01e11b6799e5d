#!/usr/bin/env python3
# Random patches for patch_vs_kubectl.sh: usage patch_gen.py SEED strategic|merge|json
# (strategic/merge patches on a pod spec's containers, env, ports, volumeMounts,
# volumes and labels with nulls and $patch directives; JSON patches of every op).
import json, random, sys
random.seed(int(sys.argv[1]))
names=["a","b","c","new","sleep"]
def val(d=0):
    r=random.random()
    if d>2 or r<0.3: return random.choice([1,"x",True,None,2.5,"y"])
    if r<0.6: return {random.choice(["k","l","m"]):val(d+1) for _ in range(random.randint(0,2))}
    return [val(d+1) for _ in range(random.randint(0,2))]
def container():
    c={"name":random.choice(names)}
    if random.random()<0.5: c["image"]=random.choice(["i1","i2"])
    if random.random()<0.4: c["env"]=[{"name":random.choice(["X","Y","W"]),"value":random.choice(["1","2",None])} for _ in range(random.randint(1,2))]
    if random.random()<0.3: c["ports"]=[{"containerPort":random.choice([80,81,82])}]
    if random.random()<0.2: c["$patch"]=random.choice(["delete","replace","merge"])
    if random.random()<0.2: c["volumeMounts"]=[{"mountPath":random.choice(["/a","/v","/z"]),"name":"v"}]
    return c
kind=sys.argv[2]
if kind=="json":
    ops=[]
    for _ in range(random.randint(1,3)):
        op=random.choice(["add","remove","replace","move","copy","test"])
        path=random.choice(["/spec/containers/0/image","/spec/containers/-","/spec/containers/1","/spec/volumes/0/name","/metadata/labels","/metadata/name","/spec/x","/spec/containers/0/env/0/value"])
        o={"op":op,"path":path}
        if op in("add","replace","test"): o["value"]=val()
        if op in("move","copy"): o["from"]=random.choice(["/spec/volumes/1","/spec/containers/0/image","/metadata/name","/spec/nope"])
        ops.append(o)
    print(json.dumps(ops))
else:
    p={"spec":{}}
    if random.random()<0.8: p["spec"]["containers"]=[container() for _ in range(random.randint(1,3))]
    if random.random()<0.4: p["spec"]["volumes"]=[{"name":random.choice(["v1","v2","v3"]),"emptyDir":{}} for _ in range(random.randint(1,2))]
    if random.random()<0.3: p["metadata"]={"labels":{"app":random.choice(["z",None])}}
    if random.random()<0.2: p["spec"]["x"]=val()
    print(json.dumps(p))
