/* A Limine kernel's AP, from the shared trampoline (shared/ap_trampoline.S)
 * to the kernel's goto_address. Entered at this code's HHDM alias on the
 * transitional root (limine_paging.c: the kernel's upper half, the
 * trampoline page and, in xAPIC mode, the local APIC page identity-mapped),
 * RBX = the trampoline page. Loader globals are read RIP-relative, so
 * through the HHDM like the code. Steps:
 *   1. this CPU's APIC ID (CPUID, as kernel/trampoline.S); its slot in
 *      limine_ap_slots; READY -> ALIVE with a compare-and-swap (the BSP's
 *      apslots_decide may have parked the slot: then halt); its stack;
 *   2. limine_ap_cpu_setup (limine_cpu.c, C on this stack): the APIC mode
 *      the BSP has, the revision 5+ local APIC state, while the xAPIC page
 *      is still mapped; the BSP's MTRRs and PAT (the SDM's procedure);
 *   3. the kernel's root; the BSP's GDT and segments, revision 5+ null
 *      IDTR/LDTR and TR base 0 limit 0; EFER, CR4, CR0 as the BSP's;
 *   4. spin on goto_address in its info struct; then RDI = the info struct,
 *      RSP = stack top - 8 holding 0, other GPRs 0, RFLAGS = 0x2, jump.
 * Nothing here writes shared memory but the slot's state. */
#include "limine.h"
#include "x86/cpu.h"
#include "x86/limine_gdt.h"
#include "x86/trampoline.h"

#define INFO_GOTO_ADDRESS 16         /* struct limine_mp_info (limine_proto.h) */

    .text
    .hidden limine_ap_slots_kva, limine_ap_count, limine_ap_block   /* loader-internal: no GOT */
    .hidden limine_ap_cpu_setup, limine_tr_lock
    .globl limine_ap_entry64
limine_ap_entry64:
    mov     TRAMP_CR3_FINAL(%rbx), %r12
    mov     limine_ap_block(%rip), %r13     /* the handoff block, HHDM */
    mov     $CPUID_TOPOLOGY, %eax           /* the x2APIC ID if leaf 0xB exists */
    xor     %ecx, %ecx
    cpuid
    mov     %edx, %esi
    xor     %eax, %eax
    cpuid
    cmp     $CPUID_TOPOLOGY, %eax
    jae     3f
    mov     $CPUID_FEATURES, %eax
    cpuid
    shr     $24, %ebx
    mov     %ebx, %esi                      /* xAPIC: the initial APIC ID */
3:  mov     limine_ap_slots_kva(%rip), %rdi   /* the slot table, HHDM */
    mov     limine_ap_count(%rip), %ecx
4:  test    %ecx, %ecx
    jz      park                            /* not in the table: not ours to start */
    cmp     %esi, AP_SLOT_APIC_ID(%rdi)
    je      5f
    add     $AP_SLOT_SIZE, %rdi
    dec     %ecx
    jmp     4b
5:  mov     $AP_STATE_READY, %eax
    mov     $AP_STATE_ALIVE, %ecx
    lock cmpxchg %ecx, AP_SLOT_STATE(%rdi)
    jne     park                            /* the BSP parked the slot first */
    mov     AP_SLOT_STACK_TOP(%rdi), %rsp
    mov     AP_SLOT_CPU(%rdi), %r14         /* its limine_mp_info, HHDM */
    mov     %r13, %rdi
    call    limine_ap_cpu_setup             /* keeps RBX, R12-R15 (SysV) */
    mov     %r12, %cr3                      /* the kernel's root: the low pages are gone */
    LIMINE_LOAD_GDT %r13
    LIMINE_LOAD_ENTRY_STATE %r13
8:  mov     INFO_GOTO_ADDRESS(%r14), %rax   /* parked until the kernel writes it */
    test    %rax, %rax
    jnz     9f
    pause
    jmp     8b
9:  mov     %r14, %rdi
    pushq   $0                              /* the return address */
    pushq   %rax
    pushq   LH_RFLAGS(%r13)
    LIMINE_ENTER_ZEROED                     /* RDI = this AP's info struct */

park:
    cli
    hlt
    jmp     park

    .section .note.GNU-stack, "", @progbits
