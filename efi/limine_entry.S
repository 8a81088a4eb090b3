/* The last instructions before a Limine kernel: called identity-mapped on
 * the firmware's tables with RDI = the handoff block (efi/limine.h), after
 * limine_machine_state. This page is identity-mapped in the transitional
 * root, whose upper half is the kernel's, so:
 *   1. load the transitional root; jump to this code's HHDM alias and
 *      switch to the kernel's stack (HHDM) and the block's HHDM address.
 *      For 5-level paging the root is loaded on the way through 32-bit
 *      code instead (CR4.LA57 changes only with paging off): GDT at its
 *      physical address, compatibility mode, paging off (long mode
 *      inactive), LA57 on, CR3, paging on (long mode again), 64-bit code.
 *      That part (LA57_ENTER, include/x86/la57.h, shared with efi/handoff.S)
 *      runs identity-mapped below 4 GiB with a scratch stack in the block's
 *      page (limine.c checks and allocates for it);
 *   2. load the spec's GDT (HHDM address) and reload every segment register
 *      (CS = 0x28, the rest 0x30); at revision 5+ the null IDTR and LDTR
 *      and TR with base 0 and limit 0 (LIMINE_LOAD_TR);
 *   3. EFER, CR4, CR0 as computed (CR4/CR0 last: clearing CR4.OSFXSR makes
 *      SSE fault, and no compiler-made code runs after this point);
 *   4. load the final root (the lower half empty from revision 1 on);
 *   5. push a return address of 0, zero every GPR but RSP, RFLAGS = 0x2,
 *      and return into the entry point.
 * Nothing here can fail. */
#include "limine.h"
#include "x86/cpu.h"
#include "x86/la57.h"
#include "x86/limine_gdt.h"

    .hidden limine_tr_lock              /* loader data: no GOT */
    .section .text.limine_entry, "ax"
    .balign 4096
    .globl limine_entry_start, limine_entry_end, limine_enter
limine_entry_start:
limine_enter:
    cli
    cld
    mov     %rdi, %rbx
    cmpq    $0, LH_LA57(%rbx)
    jne     la57_switch
    mov     LH_HHDM(%rbx), %rcx         /* read while the block is identity-mapped */
    mov     LH_TRANS_CR3(%rbx), %rax
    mov     %rax, %cr3                  /* from here only this page is identity-mapped */
on_transitional_root:
    add     %rcx, %rbx                  /* the block through the HHDM */
    lea     1f(%rip), %rax
    add     %rcx, %rax
    jmp     *%rax                       /* to this code's HHDM alias */
1:  mov     LH_STACK_TOP(%rbx), %rsp
    LIMINE_LOAD_GDT %rbx
    LIMINE_LOAD_ENTRY_STATE %rbx
    mov     LH_FINAL_CR3(%rbx), %rax
    mov     %rax, %cr3
    mov     LH_STACK_TOP(%rbx), %rsp
    pushq   $0                          /* the return address the spec asks for */
    pushq   LH_ENTRY(%rbx)
    pushq   LH_RFLAGS(%rbx)
    xor     %edi, %edi
    LIMINE_ENTER_ZEROED                 /* RSP = top - 8, holding the 0 */

/* 5-level: rbx = the block (identity, below 4 GiB, like this code). */
la57_switch:
    LA57_ENTER LH_GDTR_PHYS, LH_SCRATCH, LH_TRANS_CR3, LIMINE_SEL_CODE32, LIMINE_SEL_DATA32, LIMINE_SEL_CODE64
    mov     LH_HHDM(%rbx), %rcx         /* the block's page is identity-mapped in this root */
    jmp     on_transitional_root
limine_entry_end:
    .section .note.GNU-stack, "", @progbits
