/* The kernel ELF, embedded in BOOTX64.EFI so that one file boots Pagoda.
 * KERNEL_PATH is set by the Makefile. */
    .section .rodata.kernel_blob, "a"
    .balign 16
    .globl kernel_blob_start, kernel_blob_end
kernel_blob_start:
    .incbin KERNEL_PATH
kernel_blob_end:
    .section .note.GNU-stack, "", @progbits
