/* ELF-kind test kernel: program-header quirks (tests/elf/quirks.ld).
 *
 * Checks at run time what the loader must have done with them: the data
 * segment, linked at a p_vaddr 0x208 bytes into a page, holds its file
 * bytes at exactly that address; the rodata segment likewise at 0x40; the
 * 64 MiB .bss (far larger than the file) reads as zero to its last byte
 * and is writable. */
#include "elftest.h"

#define BIG_BSS_BYTES (64u << 20)
#define DATA_PAGE_OFFSET   0x208   /* tests/elf/quirks.ld */
#define RODATA_PAGE_OFFSET 0x40
#define PAGE 4096u

static volatile uint64_t data_words[4] = { 1, 2, 3, 0x1122334455667788ULL };
static const char rodata_text[] __attribute__((aligned(1))) = "quirks rodata";
static uint64_t big_bss[BIG_BSS_BYTES / sizeof(uint64_t)];

/* An ELF note of our own, so that the file has a PT_NOTE with content. */
__attribute__((section(".note.elftest"), used, aligned(4)))
static const struct { uint32_t namesz, descsz, type; char name[8]; uint32_t desc; } note = {
    8, 4, 1, "Pagoda\0", 0x11223344,
};

static bool check_bss(void)
{
    volatile uint64_t *p = big_bss;
    for (size_t i = 0; i < BIG_BSS_BYTES / sizeof(uint64_t); i++)
        if (p[i] != 0)
            return false;
    p[0] = 0xa5;
    p[BIG_BSS_BYTES / sizeof(uint64_t) - 1] = 0x5a;
    return p[0] == 0xa5 && p[BIG_BSS_BYTES / sizeof(uint64_t) - 1] == 0x5a;
}

static bool same_text(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return *a == *b;
}

__attribute__((used)) void elf_test_main(void)
{
    bool ok = true;
    const volatile char *ro = rodata_text;

    ok &= elftest_check("data-unaligned-vaddr",
                        (ELFTEST_RIP_OBJ(data_words) % PAGE) >= DATA_PAGE_OFFSET &&
                        data_words[0] == 1 && data_words[1] == 2 && data_words[2] == 3 &&
                        data_words[3] == 0x1122334455667788ULL);
    ok &= elftest_check("rodata-unaligned-vaddr",
                        (ELFTEST_RIP_OBJ(rodata_text) % PAGE) >= RODATA_PAGE_OFFSET &&
                        same_text((const char *)ro, "quirks rodata"));
    ok &= elftest_check("big-bss-zero", check_bss());
    elftest_finish(ok);
}

__asm__(".text\n"
        ".globl elf_test_entry\n"
        "elf_test_entry:\n"
        "    andq $-16, %rsp\n"
        "    call elf_test_main\n"
        "1:  hlt\n"
        "    jmp 1b\n");
