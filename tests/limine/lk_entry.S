/* Entry stubs of the Limine test kernels. The BSP enters at lk_entry (the
 * entry point request) or lk_elf_entry (e_entry); both record every register
 * into lk_entry_state before anything else touches them, then run lk_main on
 * the loader's stack. APs enter at lk_ap_entry through goto_address. Only
 * RIP-relative addressing, so the same code works linked high (ET_EXEC) and
 * as a PIE slid by the loader. */
#include "lk_entry.h"

#define SLOT(n) (lk_entry_state + 8 * (n))(%rip)

.macro SAVE_STATE via
    mov %rax, SLOT(ES_RAX)
    mov %rbx, SLOT(ES_RBX)
    mov %rcx, SLOT(ES_RCX)
    mov %rdx, SLOT(ES_RDX)
    mov %rsi, SLOT(ES_RSI)
    mov %rdi, SLOT(ES_RDI)
    mov %rbp, SLOT(ES_RBP)
    mov %r8,  SLOT(ES_R8)
    mov %r9,  SLOT(ES_R8 + 1)
    mov %r10, SLOT(ES_R8 + 2)
    mov %r11, SLOT(ES_R8 + 3)
    mov %r12, SLOT(ES_R8 + 4)
    mov %r13, SLOT(ES_R8 + 5)
    mov %r14, SLOT(ES_R8 + 6)
    mov %r15, SLOT(ES_R15)
    mov %rsp, SLOT(ES_RSP)
    mov (%rsp), %rax
    mov %rax, SLOT(ES_RET)
    pushfq
    popq %rax
    mov %rax, SLOT(ES_RFLAGS)
    xor %eax, %eax
    mov %cs, %ax
    mov %rax, SLOT(ES_CS)
    mov %ds, %ax
    mov %rax, SLOT(ES_DS)
    mov %es, %ax
    mov %rax, SLOT(ES_ES)
    mov %ss, %ax
    mov %rax, SLOT(ES_SS)
    mov %fs, %ax
    mov %rax, SLOT(ES_FS)
    mov %gs, %ax
    mov %rax, SLOT(ES_GS)
    movq $\via, SLOT(ES_VIA)
    /* SysV: rsp % 16 == 8 at a callee's first instruction. */
    and $-16, %rsp
    call lk_main
1:  cli
    hlt
    jmp 1b
.endm

    .section .text.entry, "ax"
    .globl lk_entry
    .type lk_entry, @function
lk_entry:
    SAVE_STATE ES_VIA_REQUEST

    .globl lk_elf_entry
    .type lk_elf_entry, @function
lk_elf_entry:
    SAVE_STATE ES_VIA_ELF

/* AP: rdi = its struct lk_mp_info (set by the loader); hand C the entry rsp
 * and rflags, then park for good. */
    .globl lk_ap_entry
    .type lk_ap_entry, @function
lk_ap_entry:
    mov %rsp, %rsi
    pushfq
    popq %rdx
    and $-16, %rsp
    call lk_ap_main
2:  cli
    hlt
    jmp 2b

    .section .note.GNU-stack, "", @progbits

/* Exception stubs: vectors 0-31, each pushing a 0 where the CPU pushes no
 * error code, then its vector; lk_fault_common hands the frame to lk_fault
 * (which reports and exits). lk_fault_stubs lists their addresses. */
    .section .text
.altmacro
.macro FAULT_STUB v
lk_fault_stub_\v:
    .if !(\v == 8 || (\v >= 10 && \v <= 14) || \v == 17 || \v == 21 || \v == 29 || \v == 30)
    pushq $0
    .endif
    pushq $\v
    jmp lk_fault_common
.endm
.set vec, 0
.rept 32
    FAULT_STUB %vec
    .set vec, vec + 1
.endr

lk_fault_common:
    mov %rsp, %rdi
    and $-16, %rsp
    call lk_fault
3:  cli
    hlt
    jmp 3b

.macro FAULT_ADDR v
    .quad lk_fault_stub_\v
.endm
    .section .data.rel.ro, "aw"
    .balign 8
    .globl lk_fault_stubs
lk_fault_stubs:
.set vec, 0
.rept 32
    FAULT_ADDR %vec
    .set vec, vec + 1
.endr
