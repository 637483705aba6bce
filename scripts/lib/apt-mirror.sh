# shellcheck shell=bash
# Finds the Debian mirror this machine's apt already uses, so that debootstrap never
# needs a hard-coded host name. Sourced by host-setup.sh.

# carina_apt_mirror SUITE: prints the first enabled `deb` URI that serves SUITE itself
# (not SUITE-security or SUITE-updates), from the one-line sources.list format and from
# deb822 *.sources files. Returns 1 when none is found.
carina_apt_mirror() {
  local suite=$1 f uri
  local lists=() deb822=()
  [ -f /etc/apt/sources.list ] && lists+=(/etc/apt/sources.list)
  for f in /etc/apt/sources.list.d/*.list; do [ -f "$f" ] && lists+=("$f"); done
  for f in /etc/apt/sources.list.d/*.sources; do [ -f "$f" ] && deb822+=("$f"); done

  if [ ${#lists[@]} -gt 0 ]; then
    # deb [opt=val ...] URI SUITE COMPONENT...
    uri=$(awk -v suite="$suite" '
      /^[[:space:]]*#/ { next }
      $1 == "deb" {
        i = 2
        if ($i ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
        if ($(i+1) == suite) { print $i; exit }
      }' "${lists[@]}")
    if [ -n "$uri" ]; then echo "${uri%/}"; return 0; fi
  fi

  if [ ${#deb822[@]} -gt 0 ]; then
    # Stanzas are separated by blank lines; a field may list several values.
    uri=$(awk -v suite="$suite" '
      function flush() {
        if (types ~ /(^| )deb( |$)/ && enabled != "no" && (" " suites " ") ~ (" " suite " ") && uris != "") {
          split(uris, u, " "); print u[1]; found = 1; exit
        }
        types = ""; uris = ""; suites = ""; enabled = ""
      }
      FNR == 1 && NR > 1 { flush() }
      /^[[:space:]]*#/ { next }
      /^[[:space:]]*$/ { flush(); next }
      {
        key = tolower($1); sub(/:$/, "", key)
        val = $0; sub(/^[^:]*:[[:space:]]*/, "", val)
        if (key == "types") types = val
        else if (key == "uris") uris = val
        else if (key == "suites") suites = val
        else if (key == "enabled") enabled = tolower(val)
      }
      END { if (!found) flush() }' "${deb822[@]}")
    if [ -n "$uri" ]; then echo "${uri%/}"; return 0; fi
  fi
  return 1
}
