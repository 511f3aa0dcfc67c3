#!/usr/bin/env zsh
# zcomp.zsh DIR LINE: prints, one a line, the matches zsh's completion
# system (compinit) offers for LINE, the cursor at its end, with DIR first
# in $fpath.  Drives an interactive `zsh -f` in a pseudo-terminal
# (zsh/zpty): its compadd is wrapped to also print each match it adds, and
# the completion of LINE is the TAB typed after it.  ZCOMP_DUMP: the dump
# file of compinit (made by the first run, much faster after).  With
# ZCOMP_RAW set, everything else the terminal showed goes to that file.
# Exit 2: zsh/zpty is missing; 1: the completion did not finish in 20 s.
zmodload zsh/zpty 2>/dev/null || exit 2
dir=$1 line=$2
dump=-D
[[ -n $ZCOMP_DUMP ]] && dump="-d ${(q)ZCOMP_DUMP}"
zpty zc zsh -f -i || exit 2
zpty -w zc "PROMPT= RPROMPT= PS2=
fpath=(${(q)dir} \$fpath)
autoload -Uz compinit && compinit -u $dump
zstyle ':completion:*' insert-tab false
zstyle ':completion:*' menu no
compadd() {
  if [[ \${@[1,(i)(-|--)]} == *-(O|A|D)\\ * ]]; then
    builtin compadd \"\$@\"
    return
  fi
  local -a hits
  local h
  builtin compadd -A hits \"\$@\"
  for h in \$hits; do print -r -- \"<M>\$h\"; done
  builtin compadd \"\$@\"
}
zcomp_end() { print -r -- '<END>'; exit; }
comppostfuncs=(zcomp_end)
bindkey '^I' complete-word
print '<READY>'"
out=
integer deadline=SECONDS+20
while (( SECONDS < deadline )) && [[ $out != *'<READY>'* ]]; do
  zpty -rt zc chunk 2>/dev/null && out+=$chunk || sleep 0.05
done
zpty -w -n zc "$line"$'\t'
out=
while (( SECONDS < deadline )) && [[ $out != *'<END>'* ]]; do
  zpty -rt zc chunk 2>/dev/null && out+=$chunk || sleep 0.02
done
zpty -d zc
if [[ $out != *'<END>'* ]]; then
  print -ru2 -- "zcomp: [$line] not completed within 20 s: $out"
  exit 1
fi
out=${out//$'\r'/}
[[ -n $ZCOMP_RAW ]] && print -r -- $out | sed 's/<M>.*//' >$ZCOMP_RAW
print -r -- $out | sed -n 's/^.*<M>//p' | sort -u
