# fish completion for kubectl, istioctl and meshsim (the tools of meshsim, offline).
# Load it with:  meshsim completion fish | source
# The candidates come from the tools themselves: `PROG __complete ARGS... WORD`
# prints one candidate a line, then `:DIRECTIVE` (4 = no file names).

function __meshsim_complete
    set -l tokens (commandline -opc)
    set -l cur (commandline -ct)
    set -l out ($tokens[1] __complete $tokens[2..-1] $cur 2>/dev/null)
    set -l directive 0
    for line in $out
        if string match -q -- ':*' $line
            set directive (string sub -s 2 -- $line)
            continue
        end
        echo $line
    end
    if test (math "$directive % 8") -lt 4
        __fish_complete_path $cur
    end
end

for prog in kubectl istioctl meshsim
    complete -c $prog -f -a '(__meshsim_complete)'
end
