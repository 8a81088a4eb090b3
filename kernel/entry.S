/* Kernel entry from the loader (ABI in docs/bootinfo.md): RDI = boot info
 * (HHDM address), RSP = top of the BSP stack - 8, interrupts off, on the
 * loader's page tables. BSS is already zero (the loader zero-fills p_memsz). */
    .section .text.entry, "ax"
    .globl kernel_entry
kernel_entry:
    andq    $-16, %rsp      /* SysV: RSP % 16 == 0 before the call */
    xorl    %ebp, %ebp      /* end of the frame-pointer chain */
    call    kmain           /* kmain(struct bootinfo *bi) never returns */
1:  cli
    hlt
    jmp     1b
    .section .note.GNU-stack, "", @progbits
