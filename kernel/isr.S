/* Exception entry stubs: give every vector the same frame (a zero error
 * code where the CPU pushes none, then the vector), save the general
 * registers in struct trap_frame order, call trap_handler, and return. */
#include "x86/vectors.h"

    .macro isr_stub vec, has_err
    .globl isr_\vec
isr_\vec:
    .if \has_err == 0
    pushq   $0              /* the CPU pushed no error code: keep the frame uniform */
    .endif
    pushq   $\vec           /* vector number */
    jmp     isr_common
    .endm

    .text
    /* Vectors whose exceptions push an error code (SDM 3A 6.13, Table 6-1). */
    .irp v, 8,10,11,12,13,14,17,21,29,30
    isr_stub \v, 1
    .endr
    .irp v, 0,1,2,3,4,5,6,7,9,15,16,18,19,20,22,23,24,25,26,27,28,31
    isr_stub \v, 0
    .endr
    /* Inter-processor interrupts, the APIC timer and its spurious vector
     * (include/x86/vectors.h). */
    .irp v, VEC_KERNEL_LIST
    isr_stub \v, 0
    .endr

isr_common:
    pushq   %rax            /* struct trap_frame, last field first */
    pushq   %rbx
    pushq   %rcx
    pushq   %rdx
    pushq   %rsi
    pushq   %rdi
    pushq   %rbp
    pushq   %r8
    pushq   %r9
    pushq   %r10
    pushq   %r11
    pushq   %r12
    pushq   %r13
    pushq   %r14
    pushq   %r15
    movq    %rsp, %rdi      /* trap_handler(struct trap_frame *) */
    movq    %rsp, %rbx      /* callee-saved: the frame, to restore RSP */
    andq    $-16, %rsp      /* SysV alignment for the call */
    cld
    call    trap_handler
    movq    %rbx, %rsp
    popq    %r15
    popq    %r14
    popq    %r13
    popq    %r12
    popq    %r11
    popq    %r10
    popq    %r9
    popq    %r8
    popq    %rbp
    popq    %rdi
    popq    %rsi
    popq    %rdx
    popq    %rcx
    popq    %rbx
    popq    %rax
    addq    $16, %rsp       /* drop vector and error code */
    iretq

/* Table of stub addresses for trap_init: exceptions 0-31, then the IPIs. */
    .section .rodata
    .globl isr_table, isr_ipi_table
    .balign 8
isr_table:
    .irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    .quad isr_\v
    .endr
isr_ipi_table:
    .irp v, VEC_KERNEL_LIST
    .quad isr_\v
    .endr
    .section .note.GNU-stack, "", @progbits
