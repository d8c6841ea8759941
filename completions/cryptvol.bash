# bash completion for cryptvol (the non-interactive command line).
# Install (one of):
#   source /path/to/cryptvol/completions/cryptvol.bash                 # in ~/.bashrc
#   cp completions/cryptvol.bash ~/.local/share/bash-completion/completions/cryptvol
# Candidates come from `cryptvol __complete WORD... CURRENT`: commands and options from the command
# catalog, values (VGs, devices, keys …) from what the last session observed on the current target;
# never a call to the host. CRYPTVOL_COMPLETE_CMD overrides the program that is asked (default: the word
# being completed for).
#
# Candidates are data, never code: a mountpoint seen on a host may be named `$(rm -rf ~)`. They are read
# line by line into an array (no word splitting, no globbing, no `compgen -W`, which expands `$(…)`), and
# each one goes into COMPREPLY quoted with printf %q, so that readline inserts it as one literal word.

# The word as typed, minus its quoting (no evaluation): 'a b → a b, "a b → a b, a\ b → a b.
_cryptvol_dequote() {
    local w=$1
    case $w in
        \'*) w=${w#\'}; w=${w%\'} ;;
        \"*) w=${w#\"}; w=${w%\"} ;;
        *) w=${w//\\/} ;;
    esac
    printf '%s' "$w"
}

_cryptvol() {
    local cur
    cur=$(_cryptvol_dequote "${COMP_WORDS[COMP_CWORD]}")
    local cmd="${CRYPTVOL_COMPLETE_CMD:-${COMP_WORDS[0]}}"
    local -a words=("${COMP_WORDS[@]:1:COMP_CWORD-1}" "$cur")
    local -a candidates=()
    local line
    while IFS= read -r line; do
        [[ -n $line ]] && candidates+=("$line")
    done < <("$cmd" __complete "${words[@]}" 2>/dev/null)
    COMPREPLY=()
    if ((${#candidates[@]} == 0)); then
        # nothing cryptvol knows of (e.g. replay FILE, record start FILE): file names, quoted by readline
        compopt -o filenames 2>/dev/null
        while IFS= read -r line; do
            COMPREPLY+=("$line")
        done < <(compgen -f -- "$cur")
        return 0
    fi
    local c
    for c in "${candidates[@]}"; do
        [[ $c == "$cur"* ]] || continue
        COMPREPLY+=("$(printf '%q' "$c")")
    done
}
complete -F _cryptvol cryptvol
