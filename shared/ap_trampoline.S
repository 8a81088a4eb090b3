/* AP start-up, shared by the kernel (kernel/smp.c, Pagoda's own APs) and
 * the loader (efi/limine_mp.c, a Limine kernel's APs): real mode ->
 * protected mode -> long mode -> the caller's 64-bit entry.
 * trampoline_start..trampoline_end is copied to a page below 1 MiB; the
 * SIPI starts each AP at CS:IP = (page >> 4):0000. All addresses inside are
 * offsets from trampoline_start; absolute ones (GDT base, far-jump targets,
 * the 64-bit entry) come from the parameter block the caller fills
 * (include/x86/trampoline.h). Nothing here writes memory, so any number of
 * APs can run it at once. The 64-bit entry gets RBX = the page's physical
 * base, on the transitional root of TRAMP_CR3_32 (which must map the page
 * at its identity address and the entry). */
#include "x86/cpu.h"
#include "x86/seg.h"
#include "x86/trampoline.h"

    .section .text.trampoline, "ax"
    .code16
    .globl trampoline_start, trampoline_end, trampoline_gdt, trampoline_pm32, trampoline_lm64
trampoline_start:
    cli                             /* no IDT yet */
    cld
    movw    %cs, %ax
    movw    %ax, %ds                /* DS = this page: the params by offset */
    xorl    %ebx, %ebx
    movw    %ax, %bx
    shll    $4, %ebx                /* EBX = physical base of this page, kept to the end */
    lgdtl   TRAMP_GDTR              /* trampoline GDT (base filled by smp.c) */
    movl    $(CR0_PE | CR0_ET | CR0_NE), %eax  /* a whole value: INIT leaves CD and NW set */
    movl    %eax, %cr0              /* protected mode, caches on, still 16-bit CS */
    ljmpl   *TRAMP_FAR32            /* reload CS: 32-bit code at trampoline_pm32 */

    .code32
trampoline_pm32:
    movw    $TRAMP_SEL_DATA32, %ax
    movw    %ax, %ds                /* flat 4 GiB data */
    movw    %ax, %es
    movw    %ax, %ss
    movl    TRAMP_CR4(%ebx), %eax
    movl    %eax, %cr4              /* PAE (required for long mode) */
    movl    TRAMP_CR3_32(%ebx), %eax
    movl    %eax, %cr3              /* transitional PML4: identity page + kernel half */
    movl    $MSR_EFER, %ecx
    rdmsr
    orl     TRAMP_EFER_SET(%ebx), %eax  /* LME, and NXE in the same write */
    wrmsr
    movl    %cr0, %eax
    orl     $(CR0_PG | CR0_WP), %eax
    movl    %eax, %cr0              /* paging on: long mode active, compatibility mode */
    ljmpl   *TRAMP_FAR64(%ebx)      /* 64-bit CS: trampoline_lm64 */

    .code64
trampoline_lm64:
    movl    %ebx, %ebx              /* upper halves are undefined after the mode switch */
    jmpq    *TRAMP_ENTRY64(%rbx)    /* leave the low page for the caller's 64-bit entry */

    .balign 8
trampoline_gdt:                     /* slot n is selector n * 8 (TRAMP_SEL_*) */
    .quad   0                       /* null */
    .quad   SEG_CODE32              /* TRAMP_SEL_CODE32 */
    .quad   SEG_DATA32              /* TRAMP_SEL_DATA32 */
    .quad   SEG_CODE64              /* TRAMP_SEL_CODE64 */
trampoline_gdt_end:
    .if (trampoline_gdt_end - trampoline_gdt) != TRAMP_GDT_ENTRIES * 8
    .error "trampoline GDT and TRAMP_GDT_ENTRIES disagree"
    .endif
trampoline_end:

    .section .note.GNU-stack, "", @progbits
