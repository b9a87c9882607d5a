# SPDX-License-Identifier: GPL-2.0
# bash completion for vmtrace-collect: subcommands, each subcommand's
# options (those of its --help and man page: scripts/check-completion
# checks both) and the values of options that take a fixed set.
# Plain bash (COMP_WORDS, compgen): needs no bash-completion helpers.

_vmtrace_collect_opts()
{
	case $1 in
	status) echo "--format --backend --help" ;;
	record) echo "-o --output -d --duration --vm --sample-hz --sample-source
		--host-samples --sample-isolated --no-exits --exit-reasons --ring-size
		-z --compression --all-vms --profile-dir --guest-profile --no-guest
		--metrics-interval --admin-uids --guest-btf --guest-symbols --backend
		--help" ;;
	report) echo "-i --input --by --format --top -o --output --vm --help" ;;
	script) echo "-i --input --format --help" ;;
	export) echo "--format -i --input -o --output --help" ;;
	vms) echo "--profile-dir --no-guest --no-discover --format --backend --help" ;;
	profile) echo "--btf --vmlinux --vmlinuz --system-map -o --output --banner
		--release --help" ;;
	ps) echo "--vm --threads --profile-dir --guest-profile --format --backend --help" ;;
	peek) echo "--vm --guest-pid --cr3 --paging --addr --len --watch --interval
		--format --profile-dir --guest-profile --backend --help" ;;
	top | serve)
		if [ "$1" = top ]; then
			echo "-b --batch --sort --procs --flagged"
		else
			echo "-q --quiet -v --verbose --listen --tls-cert --tls-key --basic-auth-file"
		fi
		echo "--interval --count --vm --sample-hz --no-session --no-guest
		--profile-dir --guest-btf --guest-symbols --libvirt-dir --admin-uids
		--baseline --gap --metrics-out --backend --help" ;;
	vmreport) echo "-i --input --by --format --vm --top -o --output --help" ;;
	esac
}

_vmtrace_collect()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
	local cmds="status record report script export vms profile ps peek top serve vmreport"
	local sub='' i
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		-*) ;;
		*) sub=${COMP_WORDS[i]}; break ;;
		esac
	done
	COMPREPLY=()
	if [ -z "$sub" ]; then
		mapfile -t COMPREPLY < <(compgen -W "$cmds --help --version" -- "$cur")
		return
	fi
	# record -- COMMAND [ARGS...]: the command's own words.
	if [ "$sub" = record ]; then
		for ((i = i + 1; i < COMP_CWORD; i++)); do
			if [ "${COMP_WORDS[i]}" = -- ]; then
				mapfile -t COMPREPLY < <(compgen -c -f -- "$cur")
				return
			fi
		done
	fi

	local values=''
	case $prev in
	-o | --output | -i | --input | --guest-btf | --guest-symbols | --metrics-out | \
	--tls-cert | --tls-key | --basic-auth-file | --btf | --vmlinux | --vmlinuz | \
	--system-map | --guest-profile)
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		return ;;
	--profile-dir | --libvirt-dir)
		mapfile -t COMPREPLY < <(compgen -d -- "$cur")
		return ;;
	--sample-source) values="auto pmu timer" ;;
	--backend) values="module bpf auto" ;;
	--sort) values="cpu guest gap mem exits name pid flags" ;;
	--paging) values="32 pae 4 5" ;;
	--format)
		case $sub in
		report) values="text csv json html" ;;
		script) values="csv jsonl" ;;
		export) values="chrome-json perfetto folded pprof" ;;
		peek) values="hex u32 u64" ;;
		status | vms | ps) values="text json" ;;
		vmreport) values="text csv json html" ;;
		esac ;;
	--by)
		case $sub in
		vmreport) values="vm vm,process" ;;
		report) values="vm vcpu exit process thread symbol" ;;
		esac ;;
	esac
	if [ -n "$values" ]; then
		mapfile -t COMPREPLY < <(compgen -W "$values" -- "$cur")
		return
	fi
	# Other options' values (a pid, a number) have nothing to offer.
	local flags="-b --batch --host-samples --sample-isolated --no-exits --all-vms
		--no-guest --no-discover --threads --flagged --no-session -q --quiet -v --verbose --help"
	case " $(_vmtrace_collect_opts "$sub" | tr '\n\t' '  ') " in
	*" $prev "*)
		case " $(echo $flags) " in
		*" $prev "*) ;;
		*) return ;;
		esac ;;
	esac
	if [ "$sub" = profile ] && [ "$COMP_CWORD" -eq $((i + 1)) ]; then
		mapfile -t COMPREPLY < <(compgen -W "create show" -- "$cur")
		return
	fi
	if [[ $cur == -* ]]; then
		mapfile -t COMPREPLY < <(compgen -W "$(_vmtrace_collect_opts "$sub")" -- "$cur")
	else
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
	fi
}
complete -F _vmtrace_collect vmtrace-collect
