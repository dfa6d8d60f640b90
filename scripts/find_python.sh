# Sourced by legacy_env.sh and gatk42_env.sh: find an old CPython that pyenv (or the system) provides.
# find_python X.Y PREFERRED_PATCH [OVERRIDE] -> prints the interpreter path; non-zero when there is none.
find_python() {
    local minor="$1" preferred="$2" override="${3:-}"
    if [[ -n "$override" ]]; then echo "$override"; return; fi
    local root="${PYENV_ROOT:-$HOME/.pyenv}"
    if command -v pyenv >/dev/null 2>&1; then root="$(pyenv root)"; fi
    for p in "$root/versions/$preferred/bin/python" "$root"/versions/"$minor".*/bin/python"$minor"; do
        if [[ -x "$p" ]]; then echo "$p"; return; fi
    done
    if command -v "python$minor" >/dev/null 2>&1; then command -v "python$minor"; return; fi
    return 1
}
