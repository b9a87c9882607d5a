/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest code: 64-bit snippets that vm_create() copies, as one blob from
 * guest_code_start to guest_code_end, to GUEST_CODE_GPA of every VM.  The
 * host never runs them: the blob lives in a read-only data section.
 *
 * Rules for everything here:
 *  - position independent: only relative jumps and calls, no absolute
 *    addresses (the blob's guest address differs from its host address);
 *  - arguments in %rdi, %rsi, %rdx, %rcx, %r8, %r9 (vcpu_set_entry());
 *  - finish with "jmp guest_done", which halts at CPL 0 and at CPL 3;
 *  - interrupts stay disabled: nothing sets RFLAGS.IF.
 * The labels that name single instructions (guest_port_writes_out, ...) are
 * what tests compare exit RIPs with: keep each on its instruction.
 */
#include "guest.h"

	.section .rodata.guest_code, "a"
	.code64
	.balign GUEST_PAGE_SIZE

	.globl guest_code_start
guest_code_start:

/* HLT forever: the end of every snippet at CPL 0. */
	.globl guest_hlt
guest_hlt:
	hlt
	jmp	guest_hlt

/*
 * Finish a snippet.  HLT at CPL 0.  At CPL 3, HLT would raise #GP, so go
 * back to CPL 0 through the user-exit gate, whose handler halts at
 * guest_hlt too.  Preserves every register (tests read results from them).
 */
guest_done:
	push	%rax
	mov	%cs, %eax
	test	$3, %al
	pop	%rax
	jz	guest_hlt
1:	int	$GUEST_VECTOR_USER_EXIT
	jmp	1b

/*
 * guest_port_writes(port = %rdi, count = %rsi, first = %rdx)
 * OUT count dwords to port: first, first + 1, ...  KVM leaves RIP on the OUT
 * when it exits to userspace for it, so every exit shows
 * RIP == guest_port_writes_out.  On return %rax = first + count.
 */
	.globl guest_port_writes, guest_port_writes_out
guest_port_writes:
	mov	%rdx, %rax
	mov	%rdi, %rdx
	mov	%rsi, %rcx
	test	%rcx, %rcx
	jz	2f
guest_port_writes_out:
1:	out	%eax, %dx
	inc	%eax
	dec	%rcx
	jnz	1b
2:	jmp	guest_done

/*
 * guest_cpuid(leaf = %rdi, subleaf = %rsi, port = %rdx)
 * CPUID (handled inside KVM, no exit to userspace), then report the result
 * as four dword OUTs to port: eax, ebx, ecx, edx.
 */
	.globl guest_cpuid, guest_cpuid_insn
guest_cpuid:
	mov	%rdx, %r8
	mov	%edi, %eax
	mov	%esi, %ecx
guest_cpuid_insn:
	cpuid
	mov	%edx, %r9d
	mov	%r8, %rdx
	out	%eax, %dx
	mov	%ebx, %eax
	out	%eax, %dx
	mov	%ecx, %eax
	out	%eax, %dx
	mov	%r9d, %eax
	out	%eax, %dx
	jmp	guest_done

/*
 * guest_spin(iterations = %rdi, port = %rsi)
 * Count %rax from 0 up to iterations with no exit, then OUT the low 32 bits
 * of the count to port.  [guest_spin_loop, guest_spin_loop_end) is the loop:
 * samples taken while it runs have their RIP in that range.
 */
	.globl guest_spin, guest_spin_loop, guest_spin_loop_end, guest_spin_out
guest_spin:
	xor	%eax, %eax
	test	%rdi, %rdi
	jz	guest_spin_loop_end
guest_spin_loop:
	inc	%rax
	cmp	%rdi, %rax
	jb	guest_spin_loop
guest_spin_loop_end:
	mov	%rsi, %rdx
guest_spin_out:
	out	%eax, %dx
	jmp	guest_done

/*
 * guest_cr3_switch(cr3_a = %rdi, cr3_b = %rsi, rounds = %rdx, port = %rcx,
 *                  marker_va = %r8)
 * Each round: load CR3 A, OUT (round << 8 | byte at marker_va); load CR3 B,
 * OUT the same.  Under nested paging KVM does not intercept CR3 writes, so
 * the OUTs are the only exits, and the marker byte is read through the
 * page tables just loaded: it tells which address space really was live.
 * Needs code, stack and this snippet mapped in both (shared mappings are).
 */
	.globl guest_cr3_switch, guest_cr3_switch_out_a, guest_cr3_switch_out_b
guest_cr3_switch:
	mov	%rdx, %r9
	mov	%rcx, %rdx
	xor	%r10d, %r10d
1:	cmp	%r9, %r10
	jae	2f
	mov	%rdi, %cr3
	mov	%r10d, %eax
	shl	$8, %eax
	movzbl	(%r8), %ecx
	or	%ecx, %eax
guest_cr3_switch_out_a:
	out	%eax, %dx
	mov	%rsi, %cr3
	mov	%r10d, %eax
	shl	$8, %eax
	movzbl	(%r8), %ecx
	or	%ecx, %eax
guest_cr3_switch_out_b:
	out	%eax, %dx
	inc	%r10
	jmp	1b
2:	jmp	guest_done

/*
 * guest_alternate_spin(cr3_a = %rdi, cr3_b = %rsi, rounds = %rdx,
 *                      iterations = %rcx, code_a = %r8, code_b = %r9)
 * Each round: load CR3 A and call code_a, load CR3 B and call code_b, both
 * with iterations in %rcx; code_a/code_b are meant to be copies of
 * guest_private_spin mapped only in A / only in B.  The %rax they return
 * is summed in %r12 (A) and %r13 (B).  No exits until guest_done.
 */
	.globl guest_alternate_spin, guest_alternate_spin_call_a
	.globl guest_alternate_spin_call_b
guest_alternate_spin:
	xor	%r12d, %r12d
	xor	%r13d, %r13d
	mov	%rdx, %r14
	test	%r14, %r14
	jz	2f
1:	mov	%rdi, %cr3
guest_alternate_spin_call_a:
	call	*%r8
	add	%rax, %r12
	mov	%rsi, %cr3
guest_alternate_spin_call_b:
	call	*%r9
	add	%rax, %r13
	dec	%r14
	jnz	1b
2:	jmp	guest_done

/*
 * guest_call_in_as(cr3 = %rdi, target = %rsi, arg = %rdx)
 * Load CR3 and call target with arg in %rcx; its %rax is left for the host.
 */
	.globl guest_call_in_as, guest_call_in_as_call
guest_call_in_as:
	mov	%rdi, %cr3
	mov	%rdx, %rcx
guest_call_in_as_call:
	call	*%rsi
	jmp	guest_done

/*
 * guest_enter_user(user_rip = %r14, user_rsp = %r15)
 * IRETQ to CPL 3 with IOPL 3 (so OUT works there).  The argument registers
 * are left alone for the user code.  Its return path is guest_done.
 */
	.globl guest_enter_user, guest_enter_user_iretq
guest_enter_user:
	push	$GUEST_SEL_USER_DS
	push	%r15
	push	$GUEST_USER_RFLAGS
	push	$GUEST_SEL_USER_CS
	push	%r14
guest_enter_user_iretq:
	iretq

/* UD2, to see an exception reported. */
	.globl guest_ud2
guest_ud2:
	ud2
	jmp	guest_done

/*
 * Exception handlers: one GUEST_EXCEPTION_STUB_SIZE-byte stub per vector
 * (the IDT points at guest_exception_stubs + vector * size), each pushing a
 * zero error code where the CPU pushes none, then the vector.  The common
 * part reports to the host: OUT vector to GUEST_PORT_EXCEPTION with
 * %rbx = error code, %rcx = RIP, %rdi = CS, %r8 = RFLAGS, %r9 = RSP,
 * %rsi = CR2 (the interrupted context's); then it halts.
 */
	.globl guest_exception_stubs
	.balign GUEST_EXCEPTION_STUB_SIZE
guest_exception_stubs:
	.Lvector = 0
	.rept GUEST_NR_EXCEPTIONS
1:	.if !(.Lvector == 8 || (.Lvector >= 10 && .Lvector <= 14) || .Lvector == 17 || .Lvector == 21 || .Lvector == 29 || .Lvector == 30)
	push	$0
	.endif
	push	$.Lvector
	jmp	guest_exception_common
	/* fails to assemble ("move .org backwards") if a stub outgrew its slot */
	.org	1b + GUEST_EXCEPTION_STUB_SIZE, 0xcc
	.Lvector = .Lvector + 1
	.endr

guest_exception_common:
	mov	0(%rsp), %rax
	mov	8(%rsp), %rbx
	mov	16(%rsp), %rcx
	mov	24(%rsp), %rdi
	mov	32(%rsp), %r8
	mov	40(%rsp), %r9
	mov	%cr2, %rsi
	mov	$GUEST_PORT_EXCEPTION, %edx
	out	%eax, %dx
	jmp	guest_hlt

/* GUEST_VECTOR_USER_EXIT: CPL 3 code is done; halt at CPL 0. */
	.globl guest_user_exit
guest_user_exit:
	jmp	guest_hlt

/*
 * Self-contained snippets, for guest_as_load_code().
 *
 * guest_private_spin(iterations = %rcx) -> %rax
 * Count %rax from 0 up to iterations, then RET.  Clobbers only %rax.
 */
	.globl guest_private_spin, guest_private_spin_loop
	.globl guest_private_spin_loop_end, guest_private_spin_end
	.balign 16
guest_private_spin:
	xor	%eax, %eax
	test	%rcx, %rcx
	jz	guest_private_spin_loop_end
guest_private_spin_loop:
	inc	%rax
	cmp	%rcx, %rax
	jb	guest_private_spin_loop
guest_private_spin_loop_end:
	ret
guest_private_spin_end:

	.globl guest_code_end
guest_code_end:

	/* The host's stack need not be executable because of this file. */
	.section .note.GNU-stack, "", @progbits
