/* Checks of the ELF shapes: a PIE slid into the higher half with its
 * relocations applied, and the quirks kernel (a segment at a non-page-aligned
 * p_vaddr, an empty PT_LOAD, a .bss far larger than the file). */
#include "lk_entry.h"
#include "lk_kernel.h"

#define QUIRK_BSS_SIZE (16u << 20)
#define QUIRK_WORDS 4

/* Pointers the PIE can only hold after R_X86_64_RELATIVE relocations. */
static void (*volatile const reloc_fn)(void) = lk_entry;
static const char *volatile const reloc_str[2] = { "lk-reloc-a", "lk-reloc-b" };
static volatile uint64_t *const reloc_self = &lk_entry_state[ES_VIA];

void lk_check_pie_reloc(void)
{
    CHECK("pie_reloc");
    uint64_t image = (uint64_t)__lk_image_start;
    EXPECT(image >= LK_HIGHER_HALF_MIN, "image at %lx: a PIE linked at 0 must be slid to 0xffffffff80000000+", image);
    EXPECT(reloc_fn == lk_entry, "function pointer %p, code is at %p", (void *)reloc_fn, (void *)lk_entry);
    EXPECT(reloc_self == &lk_entry_state[ES_VIA], "data pointer %p, data is at %p", (const void *)reloc_self,
           (const void *)&lk_entry_state[ES_VIA]);
    EXPECT(lk_streq(reloc_str[0], "lk-reloc-a") && lk_streq(reloc_str[1], "lk-reloc-b"), "string pointers not relocated");
    EXPECT(lk_req_entry.entry == lk_entry, "the entry point request's pointer was not relocated");
    PASS("slid to %lx, relocations applied", image);
}

#ifdef LK_QUIRKS
/* In a section the quirks linker script puts at a non-page-aligned address
 * in a PT_LOAD of its own. */
__attribute__((used, section(".lkquirk"))) volatile uint64_t lk_quirk_words[QUIRK_WORDS] = {
    0x0123456789abcdefUL, 0xfedcba9876543210UL, 0x5555aaaa5555aaaaUL, 0x0f0f0f0ff0f0f0f0UL };
static volatile uint8_t quirk_bss[QUIRK_BSS_SIZE] __attribute__((aligned(4096)));
extern char __lk_quirk_start[];

void lk_check_quirks(void)
{
    CHECK("quirks");
    static const uint64_t want[QUIRK_WORDS] = {
        0x0123456789abcdefUL, 0xfedcba9876543210UL, 0x5555aaaa5555aaaaUL, 0x0f0f0f0ff0f0f0f0UL };
    EXPECT((uint64_t)__lk_quirk_start & PAGE_MASK, "the quirk segment starts page-aligned (%p): linker script broken",
           (void *)__lk_quirk_start);
    for (int i = 0; i < QUIRK_WORDS; i++)
        EXPECT(lk_quirk_words[i] == want[i], "unaligned segment word %d = %lx, file has %lx", i, lk_quirk_words[i], want[i]);
    for (uint64_t i = 0; i < QUIRK_BSS_SIZE; i += 8)
        EXPECT(*(volatile uint64_t *)&quirk_bss[i] == 0, "bss byte %lu not zero", i);
    quirk_bss[QUIRK_BSS_SIZE - 1] = 0x5a;
    EXPECT(quirk_bss[QUIRK_BSS_SIZE - 1] == 0x5a, "last bss byte not writable");
    PASS("unaligned segment at %p intact, %u MiB bss zero", (void *)__lk_quirk_start, QUIRK_BSS_SIZE >> 20);
}
#else
void lk_check_quirks(void)
{
}
#endif
