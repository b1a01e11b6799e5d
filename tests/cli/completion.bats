#!/usr/bin/env bats
# Shell completion: the scripts, and the hidden __complete that answers them.
load helpers

setup() { fresh_cluster; }

POD='apiVersion: v1
kind: Pod
metadata:
  name: sleep-7f9c8d6b5-x2x4q
  namespace: default
spec:
  containers:
  - name: sleep
    image: curlimages/curl
  - name: istio-proxy
    image: docker.io/istio/proxyv2:1.4.6'

@test "meshsim completion prints the scripts of completions/ byte for byte" {
    meshsim completion bash | cmp - "$ROOT/completions/meshsim.bash"
    meshsim completion zsh | cmp - "$ROOT/completions/_meshsim"
    meshsim completion fish | cmp - "$ROOT/completions/meshsim.fish"
}

@test "meshsim completion without a known shell is an error" {
    run meshsim completion tcsh
    [ "$status" -eq 2 ]
    [[ $output == *'unsupported shell "tcsh"'* ]]
    run meshsim completion
    [ "$status" -eq 2 ]
}

@test "kubectl __complete get pod '' lists the pods of the store, then :4" {
    kubectl apply -f - <<<"$POD"
    run kubectl __complete get pod ""
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "sleep-7f9c8d6b5-x2x4q" ]
    [ "${lines[1]}" = ":4" ]
    [ "${#lines[@]}" -eq 3 ]
    [ "${lines[2]}" = "Completion ended with directive: ShellCompDirectiveNoFileComp" ]
}

@test "__complete prints its directive on stdout and its note on stderr" {
    run bash -c 'kubectl __complete get pod "" 2>/dev/null'
    [ "$output" = ":4" ]
}

@test "__complete knows verbs, kinds, type/name, namespaces and containers" {
    kubectl apply -f - <<<"$POD"
    run kubectl __complete ge
    [ "${lines[0]}" = "get" ]
    run kubectl __complete get serviceen
    [ "${lines[0]}" = "serviceentries" ]
    run kubectl __complete get pod/sl
    [ "${lines[0]}" = "pod/sleep-7f9c8d6b5-x2x4q" ]
    run kubectl __complete get pods -n kube-
    [ "${lines[0]}" = "kube-node-lease" ]
    [ "${lines[1]}" = "kube-public" ]
    [ "${lines[2]}" = "kube-system" ]
    run kubectl __complete exec sleep-7f9c8d6b5-x2x4q -c ""
    [ "${lines[0]}" = "sleep" ]
    [ "${lines[1]}" = "istio-proxy" ]
    run kubectl __complete get ns --namespace=kube-s
    [ "${lines[0]}" = "--namespace=kube-system" ]
}

@test "__complete looks in the namespace given with -n" {
    kubectl apply -f - <<<"$POD"
    run kubectl __complete get pods -n kube-public ""
    [ "$output" = ":4"$'\n'"Completion ended with directive: ShellCompDirectiveNoFileComp" ]
    run kubectl __complete get pods -n kube-system kube-sch
    [ "$output" = "kube-scheduler-meshsim-control-plane"$'\n'":4"$'\n'"Completion ended with directive: ShellCompDirectiveNoFileComp" ]
    run kubectl __complete -n default get pods ""
    [ "${lines[0]}" = "sleep-7f9c8d6b5-x2x4q" ]
}

@test "__complete offers the labels of the store for -l" {
    kubectl apply -f - <<<"$POD"
    kubectl label pod sleep-7f9c8d6b5-x2x4q app=sleep tier=client >/dev/null
    run kubectl __complete get pods -l ""
    [ "${lines[0]}" = "app=sleep" ]
    [ "${lines[1]}" = "tier=client" ]
    run kubectl __complete logs -l ti
    [ "${lines[0]}" = "tier=client" ]
    run kubectl __complete get pods --selector=a
    [ "${lines[0]}" = "--selector=app=sleep" ]
}

@test "istioctl __complete walks its command tree and names proxied pods as name.namespace" {
    kubectl apply -f - <<<"$POD"
    run istioctl __complete ""
    [[ $output == *$'\nanalyze\n'* ]]
    run istioctl __complete proxy-config ""
    [[ $output == *$'\ncluster\n'* ]]
    run istioctl __complete proxy-config cluster ""
    # the pod has an istio-proxy container; the control plane's kube-system pods have none
    [ "${lines[0]}" = "sleep-7f9c8d6b5-x2x4q.default" ]
    [ "${lines[1]}" = ":4" ]
    run istioctl __complete analyze ""
    [ "${lines[0]}" = ":0" ]
}

@test "__complete leaves -f to file names (directive 0)" {
    run kubectl __complete apply -f ""
    [ "${lines[-2]}" = ":0" ]
}

@test "meshsim __complete lists meshsim's commands and the completion shells" {
    run meshsim __complete ""
    [[ $output == *$'\nshell\n'* ]]
    [[ $output == *$'\ndoctest\n'* ]]
    run meshsim __complete completion ""
    [ "${lines[0]}" = "bash" ]
    [ "${lines[1]}" = "zsh" ]
    [ "${lines[2]}" = "fish" ]
    run meshsim __complete kubectl ge
    [ "${lines[0]}" = "get" ]
}

@test "__complete never changes the store" {
    kubectl apply -f - <<<"$POD"
    before=$(kubectl get all -A -o json 2>/dev/null | sha1sum)
    kubectl __complete delete pod "" >/dev/null 2>&1
    kubectl __complete apply -f "" >/dev/null 2>&1
    after=$(kubectl get all -A -o json 2>/dev/null | sha1sum)
    [ "$before" = "$after" ]
    run kubectl get pod sleep-7f9c8d6b5-x2x4q -o name
    [ "$output" = "pod/sleep-7f9c8d6b5-x2x4q" ]
}

@test "the bash script completes kubectl get pod <TAB> from the store" {
    kubectl apply -f - <<<"$POD"
    run bash -c 'source <(meshsim completion bash)
        COMP_WORDS=(kubectl get pod ""); COMP_CWORD=3
        __meshsim_complete
        printf "%s\n" "${COMPREPLY[@]}"
        complete -p kubectl'
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "sleep-7f9c8d6b5-x2x4q" ]
    [ "${lines[1]}" = "complete -F __meshsim_complete kubectl" ]
}

@test "the bash script completes istioctl and meshsim words too" {
    run bash -c 'source "$1"
        COMP_WORDS=(meshsim comp); COMP_CWORD=1
        __meshsim_complete
        printf "%s\n" "${COMPREPLY[@]}"' _ "$ROOT/completions/meshsim.bash"
    [ "$output" = "completion" ]
}
