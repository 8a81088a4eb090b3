/* Memory probes for self-checks: an access that may fault. Each faulting
 * instruction is listed in probe_fixups with where to resume; trap_handler
 * resumes there with RAX = 1 + vector instead of treating it as a crash. */
    .text
    .globl probe_read8, probe_write8
/* uint64_t probe_read8(const volatile void *addr [rdi]) */
probe_read8:
    xorl    %eax, %eax      /* 0: no fault */
1:  movb    (%rdi), %cl     /* may fault */
2:  ret

/* uint64_t probe_write8(volatile void *addr [rdi], uint8_t value [sil]) */
probe_write8:
    xorl    %eax, %eax
3:  movb    %sil, (%rdi)    /* may fault */
4:  ret

    .section .rodata
    .globl probe_fixups, probe_fixups_end
    .balign 8
probe_fixups:               /* pairs: faulting RIP, resume RIP */
    .quad 1b, 2b
    .quad 3b, 4b
probe_fixups_end:
    .section .note.GNU-stack, "", @progbits
