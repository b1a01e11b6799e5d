# bash completion for kubectl, istioctl and meshsim (the tools of meshsim, offline).
# Load it with:  source <(meshsim completion bash)
# The candidates come from the tools themselves: `PROG __complete ARGS... WORD`
# prints one candidate a line, then `:DIRECTIVE` (4 = no file names).

__meshsim_complete()
{
    local cur prog out directive line
    cur=${COMP_WORDS[COMP_CWORD]}
    prog=${COMP_WORDS[0]}
    out=$("$prog" __complete "${COMP_WORDS[@]:1:COMP_CWORD-1}" "$cur" 2>/dev/null) || return 0
    directive=${out##*:}
    [[ $directive =~ ^[0-9]+$ ]] || directive=0
    COMPREPLY=()
    while IFS= read -r line; do
        [[ -z $line || $line == :* ]] && continue
        COMPREPLY+=("${line%%$'\t'*}")
    done <<<"$out"
    if (( directive & 2 )); then
        compopt -o nospace 2>/dev/null
    fi
    if (( ${#COMPREPLY[@]} == 0 && (directive & 4) == 0 )); then
        compopt -o default 2>/dev/null
    fi
    return 0
}

complete -F __meshsim_complete kubectl istioctl meshsim
