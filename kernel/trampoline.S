/* The kernel's side of AP start-up: the shared trampoline
 * (shared/ap_trampoline.S) brings each AP to long mode on the transitional
 * tables and jumps here, to the higher half, where it finds its slot. */
#include "x86/cpu.h"
#include "x86/trampoline.h"

/* In the kernel's higher half, still on the transitional tables.
 * RBX = the trampoline page's physical base (identity-mapped for now). */
    .text
    .globl ap_entry64
ap_entry64:
    movq    TRAMP_CR3_FINAL(%rbx), %rax
    movq    %rax, %cr3              /* the one shared PML4: the low page is gone now */
    movl    $CPUID_TOPOLOGY, %eax   /* our APIC ID: x2APIC ID if leaf 0xB exists */
    xorl    %ecx, %ecx
    cpuid
    movl    %edx, %esi              /* candidate: x2APIC ID */
    xorl    %eax, %eax
    cpuid                           /* EAX = max basic leaf */
    cmpl    $CPUID_TOPOLOGY, %eax
    jae     1f
    movl    $CPUID_FEATURES, %eax
    cpuid
    shrl    $24, %ebx
    movl    %ebx, %esi              /* xAPIC: initial APIC ID, 8 bits */
1:  movq    ap_slots(%rip), %rdi    /* scan the slot table (a pointer) for our APIC ID */
    movl    ap_slot_count(%rip), %ecx
2:  testl   %ecx, %ecx
    jz      3f                      /* not ours to start: park */
    cmpl    %esi, AP_SLOT_APIC_ID(%rdi)
    jne     4f
    cmpl    $AP_STATE_READY, AP_SLOT_STATE(%rdi)
    jne     3f                      /* slot not prepared: park */
    movq    AP_SLOT_STACK_TOP(%rdi), %rsp
    xorl    %ebp, %ebp              /* end of the frame chain */
    call    ap_main                 /* ap_main(struct ap_slot *) never returns */
    jmp     3f
4:  addq    $AP_SLOT_SIZE, %rdi
    decl    %ecx
    jmp     2b
3:  cli
    hlt
    jmp     3b

    .section .note.GNU-stack, "", @progbits
