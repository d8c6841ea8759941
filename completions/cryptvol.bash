# bash completion for cryptvol (the non-interactive command line).
# Install (one of):
#   source /path/to/cryptvol/completions/cryptvol.bash                 # in ~/.bashrc
#   cp completions/cryptvol.bash ~/.local/share/bash-completion/completions/cryptvol
# Candidates come from `cryptvol __complete WORD... CURRENT`: commands and options from the command
# catalog, values (VGs, devices, keys …) from what the last session observed; never a call to the host.
# CRYPTVOL_COMPLETE_CMD overrides the program that is asked (default: the word being completed for).

_cryptvol() {
    local cur="${COMP_WORDS[COMP_CWORD]}"
    local cmd="${CRYPTVOL_COMPLETE_CMD:-${COMP_WORDS[0]}}"
    local IFS=$'\n'
    local -a candidates
    candidates=($("$cmd" __complete "${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null)) || return 0
    if ((${#candidates[@]} == 0)); then
        # nothing cryptvol knows of (e.g. replay FILE, record start FILE): file names
        COMPREPLY=($(compgen -f -- "$cur"))
    else
        COMPREPLY=($(compgen -W "${candidates[*]}" -- "$cur"))
    fi
}
complete -o filenames -F _cryptvol cryptvol
