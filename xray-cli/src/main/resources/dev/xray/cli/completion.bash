# bash completion for xray; load it with: source <(xray completion bash)
_xray_names() {
  xray __complete "$@" 2>/dev/null
}

_xray() {
  local cur prev words cword
  cur=${COMP_WORDS[COMP_CWORD]}
  local commands="base create start stop list info snapshot remove console logs ssh completion demo"
  local i command="" sub="" position=0
  for ((i = 1; i < COMP_CWORD; i++)); do
    case ${COMP_WORDS[i]} in
      -*) ;;
      *)
        if [ -z "$command" ]; then
          command=${COMP_WORDS[i]}
        elif [ -z "$sub" ] && { [ "$command" = base ] || [ "$command" = snapshot ]; }; then
          sub=${COMP_WORDS[i]}
        else
          position=$((position + 1))
        fi
        ;;
    esac
  done
  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "--help --verbose --json --force --base --memory --cpus --ssh-port --ssh-key --user-data --no-seed --display --accel --arch --foreground --wait-ssh --wait-timeout --name --link --follow --qemu --user --identity --timeout --keep" -- "$cur"))
    return
  fi
  case ${COMP_WORDS[COMP_CWORD - 1]} in
    --base) COMPREPLY=($(compgen -W "$(_xray_names bases)" -- "$cur")); return ;;
    --display) COMPREPLY=($(compgen -W "none sdl gtk cocoa" -- "$cur")); return ;;
    --accel) COMPREPLY=($(compgen -W "auto kvm hvf tcg" -- "$cur")); return ;;
    --arch) COMPREPLY=($(compgen -W "x86_64 aarch64" -- "$cur")); return ;;
    --ssh-key|--user-data|--identity|-i) COMPREPLY=($(compgen -f -- "$cur")); return ;;
  esac
  case $command in
    "") COMPREPLY=($(compgen -W "$commands" -- "$cur")) ;;
    base)
      if [ -z "$sub" ]; then
        COMPREPLY=($(compgen -W "import list remove" -- "$cur"))
      elif [ "$sub" = remove ]; then
        COMPREPLY=($(compgen -W "$(_xray_names bases)" -- "$cur"))
      elif [ "$sub" = import ]; then
        COMPREPLY=($(compgen -f -- "$cur"))
      fi
      ;;
    snapshot)
      if [ -z "$sub" ]; then
        COMPREPLY=($(compgen -W "create list revert delete" -- "$cur"))
      elif [ "$position" = 0 ]; then
        COMPREPLY=($(compgen -W "$(_xray_names vms)" -- "$cur"))
      elif [ "$position" = 1 ] && { [ "$sub" = revert ] || [ "$sub" = delete ]; }; then
        local vm="" j
        for ((j = 1; j < COMP_CWORD; j++)); do
          case ${COMP_WORDS[j]} in -*|snapshot|revert|delete) ;; *) vm=${COMP_WORDS[j]} ;; esac
        done
        COMPREPLY=($(compgen -W "$(_xray_names snapshots "$vm")" -- "$cur"))
      fi
      ;;
    completion) COMPREPLY=($(compgen -W "bash zsh" -- "$cur")) ;;
    start|stop|info|remove|console|logs|ssh)
      [ "$position" = 0 ] && COMPREPLY=($(compgen -W "$(_xray_names vms)" -- "$cur"))
      ;;
  esac
}

complete -F _xray xray
