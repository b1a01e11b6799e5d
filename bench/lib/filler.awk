# n/2 ServiceEntries and n/2 VirtualServices (one per external host) across 10
# namespaces: awk -v n=N [-v off=K] (names numbered from K, so chunks of one
# large set can be separate files: the loader takes at most 16 MiB per file)
BEGIN {
    nns = 10
    for (k = 0; k < nns; k++) printf "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: fill%d\n---\n", k
    for (j = 0; j < n / 2; j++) {
        i = off + j
        ns = "fill" (i % nns)
        printf "apiVersion: networking.istio.io/v1alpha3\nkind: ServiceEntry\nmetadata:\n  name: se-%d\n  namespace: %s\nspec:\n  hosts:\n  - ext-%d.example.com\n  ports:\n  - number: 80\n    name: http\n    protocol: HTTP\n  resolution: DNS\n---\n", i, ns, i
        printf "apiVersion: networking.istio.io/v1alpha3\nkind: VirtualService\nmetadata:\n  name: vs-%d\n  namespace: %s\nspec:\n  hosts:\n  - ext-%d.example.com\n  http:\n  - timeout: 5s\n    route:\n    - destination:\n        host: ext-%d.example.com\n---\n", i, ns, i, i
    }
}
