/* Memory checks: the HHDM (offset, coverage per base revision, same bytes as
 * the private window and the kernel's own mapping), the identity map (base
 * revision 0 only), the memory map's promises, its agreement with the EFI
 * memory map, the entry stack, and the executable address. */
#include "lk_entry.h"
#include "lk_kernel.h"
#include "lk_x86.h"

#define HHDM_MIN_4LVL 0xffff800000000000UL
#define HHDM_MIN_5LVL 0xff00000000000000UL
#define EFI_RESERVED 0
#define EFI_LOADER_CODE 1
#define EFI_LOADER_DATA 2
#define EFI_BS_CODE 3
#define EFI_BS_DATA 4
#define EFI_RT_CODE 5
#define EFI_RT_DATA 6
#define EFI_CONVENTIONAL 7
#define EFI_UNUSABLE 8
#define EFI_ACPI_RECLAIM 9
#define EFI_ACPI_NVS 10
#define EFI_DESC_VERSION 1
#define EFI_DESC_MIN 40
#define SAMPLE 64

struct efi_desc { uint32_t type, pad; uint64_t phys, virt, pages, attr; };

static const struct lk_memmap_entry *entry_at(uint64_t i)
{
    return ((const struct lk_memmap_resp *)lk_req_memmap.response)->entries[i];
}

static uint64_t entry_count(void)
{
    const struct lk_memmap_resp *m = lk_req_memmap.response;
    return m ? m->count : 0;
}

/* Types the HHDM must map at this base revision (below 4 GiB, revisions
 * 0-2 map everything). */
static uint32_t hhdm_types(void)
{
    uint32_t base = TYPE_BIT(LK_MEM_USABLE) | TYPE_BIT(LK_MEM_RECLAIMABLE) | TYPE_BIT(LK_MEM_EXEC_MODULES) |
                    TYPE_BIT(LK_MEM_FRAMEBUFFER);
    if (LK_BASE_REVISION == 0)
        return 0xffffffffu;
    if (LK_BASE_REVISION <= 2)
        return 0xffffffffu & ~(TYPE_BIT(LK_MEM_RESERVED) | TYPE_BIT(LK_MEM_BAD));
    if (LK_BASE_REVISION == 3)
        return base;
    return base | TYPE_BIT(LK_MEM_RESERVED_MAPPED) | TYPE_BIT(LK_MEM_ACPI_RECLAIM) | TYPE_BIT(LK_MEM_ACPI_NVS);
}

static int hhdm_maps(uint64_t pa)
{
    struct lk_walk w;
    return lk_walk(lk_hhdm() + pa, &w) == 0 && w.pa == pa;
}

static int page_shared_with_mapped(uint64_t page)
{
    for (uint64_t i = 0; i < entry_count(); i++) {
        const struct lk_memmap_entry *e = entry_at(i);
        if ((hhdm_types() & TYPE_BIT(e->type)) && e->base < page + PAGE_SIZE && e->base + e->length > page)
            return 1;
    }
    return 0;
}

static volatile uint64_t hhdm_probe = 0x6c6b2d6868646d31UL;

void lk_check_hhdm(void)
{
    CHECK("hhdm");
    const struct lk_hhdm_resp *r = lk_req_hhdm.response;
    NEED(r);
    uint64_t off = r->offset;
    EXPECT(!(off & PAGE_MASK), "offset %lx not page-aligned", off);
    EXPECT(off >= (lk_la57() ? HHDM_MIN_5LVL : HHDM_MIN_4LVL) && off < LK_HIGHER_HALF_MIN, "offset %lx not in the higher half", off);
    struct lk_walk w;
    EXPECT(lk_walk((uint64_t)&hhdm_probe, &w) == 0, "cannot walk the kernel's own data through the HHDM");
    volatile uint64_t *alias = (volatile uint64_t *)(off + w.pa);
    EXPECT(*alias == hhdm_probe, "HHDM alias of kernel data reads %lx, kernel sees %lx", *alias, hhdm_probe);
    *alias = 0x1234abcd5678ef09UL;
    EXPECT(hhdm_probe == 0x1234abcd5678ef09UL, "a write through the HHDM alias did not reach the kernel's data");
    EXPECT(lk_window_init() == 0, "could not set up the private window");
    unsigned compared = 0, mapped = 0, unmapped = 0;
    for (uint64_t i = 0; i < entry_count(); i++) {
        const struct lk_memmap_entry *e = entry_at(i);
        uint64_t first = e->base & ~PAGE_MASK, last = (e->base + e->length - 1) & ~PAGE_MASK;
        int must = (hhdm_types() & TYPE_BIT(e->type)) || (LK_BASE_REVISION <= 2 && e->base < FOUR_GIB);
        if (must) {
            EXPECT(hhdm_maps(first) && hhdm_maps(last), "memmap entry %lx+%lx type %lu not fully in the HHDM", e->base,
                   e->length, e->type);
            mapped++;
            if (e->type != LK_MEM_FRAMEBUFFER && e->type != LK_MEM_RESERVED && e->type != LK_MEM_BAD && compared < 16) {
                uint8_t via_window[SAMPLE];
                EXPECT(lk_phys_copy(via_window, e->base, SAMPLE) == 0, "window read at %lx failed", e->base);
                EXPECT(!memcmp(via_window, (const void *)(off + e->base), SAMPLE),
                       "HHDM and the page tables disagree on the bytes at %lx", e->base);
                compared++;
            }
        } else if (LK_BASE_REVISION >= 3 && !page_shared_with_mapped(first)) {
            /* Revision 3+: "the only memory map regions mapped" are the listed types. */
            EXPECT(!hhdm_maps(first), "revision %d: %lx+%lx of type %lu is in the HHDM", LK_BASE_REVISION, e->base,
                   e->length, e->type);
            unmapped++;
        }
    }
    if (LK_BASE_REVISION <= 2) {
        static const uint64_t low[] = { 0x1000, 0x100000, 0xfee00000, FOUR_GIB - PAGE_SIZE };
        for (unsigned i = 0; i < sizeof low / sizeof low[0]; i++)
            EXPECT(hhdm_maps(low[i]), "revision %d: %lx (first 4 GiB) not in the HHDM", LK_BASE_REVISION, low[i]);
    }
    PASS("offset=%lx entries mapped=%u unmapped-as-required=%u bytes-compared=%u", off, mapped, unmapped, compared);
}

void lk_check_identity(void)
{
    CHECK("identity");
    NEED(lk_req_hhdm.response);
    if (LK_BASE_REVISION == 0) {
        static const uint64_t probe[] = { 0x1000, 0x100000, FOUR_GIB - PAGE_SIZE };
        struct lk_walk w;
        for (unsigned i = 0; i < sizeof probe / sizeof probe[0]; i++)
            EXPECT(lk_walk(probe[i], &w) == 0 && w.pa == probe[i], "revision 0: %lx not identity-mapped", probe[i]);
        uint64_t pa = lk_walk((uint64_t)&hhdm_probe, &w) == 0 ? w.pa : 0;
        EXPECT(pa && pa < FOUR_GIB, "kernel data at %lx", pa);
        EXPECT(*(volatile uint64_t *)pa == hhdm_probe, "identity view of kernel data differs");
        PASS("0x1000..4GiB identity-mapped");
        return;
    }
    const uint64_t *top = (const uint64_t *)(lk_hhdm() + (READ_CR(3) & PTE_ADDR));
    for (int i = 0; i < 256; i++)
        EXPECT(!(top[i] & PTE_P), "revision %d: lower-half top-level entry %d present (%lx)", LK_BASE_REVISION, i, top[i]);
    PASS("lower half unmapped");
}

void lk_check_memmap(void)
{
    CHECK("memmap");
    const struct lk_memmap_resp *m = lk_req_memmap.response;
    NEED(m);
    EXPECT(m->count > 0 && m->count < 4096, "%lu entries", m->count);
    EXPECT(lk_is_hhdm_ptr(m) && lk_is_hhdm_ptr(m->entries), "response %p / entries %p are not HHDM pointers", (void *)m,
           (void *)m->entries);
    uint64_t max_type = LK_BASE_REVISION >= 4 ? LK_MEM_RESERVED_MAPPED : LK_MEM_FRAMEBUFFER;
    uint64_t prev_base = 0, max_end = 0, ur_end = 0, usable = 0;
    for (uint64_t i = 0; i < m->count; i++) {
        const struct lk_memmap_entry *e = m->entries[i];
        EXPECT(lk_is_hhdm_ptr(e), "entry %lu pointer %p not in the HHDM", i, (const void *)e);
        EXPECT(e->length > 0 && e->base + e->length > e->base, "entry %lu: %lx+%lx empty or wrapping", i, e->base, e->length);
        EXPECT(e->type <= max_type, "entry %lu: type %lu unknown at revision %d", i, e->type, LK_BASE_REVISION);
        EXPECT(i == 0 || e->base >= prev_base, "entry %lu base %lx below the previous %lx (not sorted)", i, e->base, prev_base);
        EXPECT(e->base >= ur_end, "entry %lu %lx overlaps a usable/reclaimable entry ending at %lx", i, e->base, ur_end);
        int ur = e->type == LK_MEM_USABLE || e->type == LK_MEM_RECLAIMABLE;
        if (ur) {
            EXPECT(!(e->base & PAGE_MASK) && !(e->length & PAGE_MASK), "entry %lu %lx+%lx type %lu not page-aligned", i,
                   e->base, e->length, e->type);
            EXPECT(e->base >= max_end, "usable/reclaimable entry %lu %lx overlaps an earlier entry ending at %lx", i,
                   e->base, max_end);
            ur_end = e->base + e->length;
        }
        if (e->type == LK_MEM_USABLE) {
            usable += e->length;
            EXPECT(LK_BASE_REVISION >= 3 || e->base >= PAGE_SIZE, "revision %d: page 0 marked usable", LK_BASE_REVISION);
        }
        if (e->base + e->length > max_end)
            max_end = e->base + e->length;
        prev_base = e->base;
    }
    EXPECT(usable > 0, "no usable memory");
    EXPECT(lk_memmap_covers(lk_virt_to_phys_hint((uint64_t)m), sizeof *m, TYPE_BIT(LK_MEM_RECLAIMABLE)),
           "the response itself is not in bootloader-reclaimable memory");
    struct lk_walk w;
    EXPECT(lk_walk((uint64_t)__lk_text_start, &w) == 0 && lk_memmap_covers(w.pa, PAGE_SIZE, TYPE_BIT(LK_MEM_EXEC_MODULES)),
           "the kernel's text is not in an executable-and-modules entry");
    PASS("entries=%lu usable=%lu KiB sorted aligned non-overlapping", m->count, usable >> 10);
}

static int efi_covers(const struct lk_efi_memmap_resp *r, uint64_t base, uint64_t len, uint32_t efi_mask)
{
    uint64_t cursor = base, end = base + len;
    uint64_t n = r->memmap_size / r->desc_size;
    for (int progress = 1; cursor < end && progress;) {
        progress = 0;
        for (uint64_t i = 0; i < n; i++) {
            const struct efi_desc *d = (const void *)((const uint8_t *)r->memmap + i * r->desc_size);
            uint64_t dend = d->phys + d->pages * PAGE_SIZE;
            if ((efi_mask & (1u << d->type)) && d->phys <= cursor && dend > cursor) {
                cursor = dend;
                progress = 1;
            }
        }
    }
    return cursor >= end;
}

/* Limine types an EFI descriptor's pages may carry (PROTOCOL.md "EFI Memory
 * Map Entry Type to Limine Memory Map Type", plus the overriding rules: from
 * revision 4 ACPI tables, from 5 SMBIOS and EFI tables, are reserved-mapped
 * wherever the firmware put them). */
static uint32_t allowed_for_efi(uint32_t efi_type)
{
    uint32_t mapped_reserved = LK_BASE_REVISION >= 4 ? TYPE_BIT(LK_MEM_RESERVED_MAPPED) : 0;
    switch (efi_type) {
    /* Conventional memory the loader took after its last EFI allocation
     * (page tables, responses built after ExitBootServices) is legitimately
     * bootloader-reclaimable; it never becomes anything else. */
    case EFI_CONVENTIONAL: return TYPE_BIT(LK_MEM_USABLE) | TYPE_BIT(LK_MEM_RECLAIMABLE);
    case EFI_LOADER_CODE: case EFI_LOADER_DATA: case EFI_BS_CODE: case EFI_BS_DATA:
        return TYPE_BIT(LK_MEM_RECLAIMABLE) | TYPE_BIT(LK_MEM_EXEC_MODULES) | mapped_reserved;
    case EFI_RT_CODE: case EFI_RT_DATA:
        return LK_BASE_REVISION >= 5 ? TYPE_BIT(LK_MEM_RESERVED_MAPPED) : TYPE_BIT(LK_MEM_RESERVED) | mapped_reserved;
    case EFI_ACPI_RECLAIM: return TYPE_BIT(LK_MEM_ACPI_RECLAIM);
    case EFI_ACPI_NVS: return TYPE_BIT(LK_MEM_ACPI_NVS);
    case EFI_UNUSABLE: return TYPE_BIT(LK_MEM_RESERVED) | TYPE_BIT(LK_MEM_BAD) | mapped_reserved;
    default: return TYPE_BIT(LK_MEM_RESERVED) | TYPE_BIT(LK_MEM_FRAMEBUFFER) | mapped_reserved;
    }
}

void lk_check_memmap_efi(void)
{
    CHECK("memmap_efi");
    const struct lk_efi_memmap_resp *r = lk_req_efimap.response;
    const struct lk_memmap_resp *m = lk_req_memmap.response;
    NEED(r && m);
    EXPECT(r->desc_size >= EFI_DESC_MIN, "desc_size %lu", r->desc_size);
    uint64_t n = r->memmap_size / r->desc_size, ram = 0;
    for (uint64_t i = 0; i < n; i++) {
        const struct efi_desc *d = (const void *)((const uint8_t *)r->memmap + i * r->desc_size);
        uint64_t base = d->phys, len = d->pages * PAGE_SIZE;
        /* Page 0 is never usable at revisions 0-2; from 3 it may be usable
         * but need not be (a loader may keep it reserved). Firmware that
         * leaves it conventional (OVMF 2025.02) shows the difference. */
        if (d->type == EFI_CONVENTIONAL && base < PAGE_SIZE) {
            EXPECT(LK_BASE_REVISION <= 2 ||
                       lk_memmap_covers(0, PAGE_SIZE, allowed_for_efi(EFI_CONVENTIONAL) | TYPE_BIT(LK_MEM_RESERVED)),
                   "page 0 (EfiConventionalMemory) is neither usable, reclaimable nor reserved");
            base = PAGE_SIZE;
            len = len > PAGE_SIZE ? len - PAGE_SIZE : 0;
        }
        if (d->type <= EFI_CONVENTIONAL && d->type != EFI_RESERVED)
            ram += len;
        EXPECT(!len || lk_memmap_covers(base, len, allowed_for_efi(d->type)),
               "EFI descriptor %lx+%lx type %u is not covered by the Limine types it maps to", d->phys, d->pages * PAGE_SIZE,
               d->type);
    }
    uint32_t bs_mask = (1u << EFI_LOADER_CODE) | (1u << EFI_LOADER_DATA) | (1u << EFI_BS_CODE) | (1u << EFI_BS_DATA) |
                       (1u << EFI_CONVENTIONAL);
    for (uint64_t i = 0; i < m->count; i++) {
        const struct lk_memmap_entry *e = m->entries[i];
        if (e->type == LK_MEM_USABLE)
            EXPECT(efi_covers(r, e->base, e->length, 1u << EFI_CONVENTIONAL),
                   "usable %lx+%lx is not EfiConventionalMemory", e->base, e->length);
        if (e->type == LK_MEM_RECLAIMABLE)
            EXPECT(efi_covers(r, e->base, e->length, bs_mask),
                   "bootloader-reclaimable %lx+%lx is not EFI RAM (loader, boot services, conventional)", e->base,
                   e->length);
    }
    PASS("efi-descriptors=%lu ram=%lu KiB each mapped to its Limine type and back", n, ram >> 10);
}

void lk_check_efi_memmap(void)
{
    CHECK("efi_memmap");
    const struct lk_efi_memmap_resp *r = lk_req_efimap.response;
    NEED(r);
    EXPECT(lk_is_hhdm_ptr(r->memmap), "memmap %p is not an HHDM pointer", r->memmap);
    EXPECT(r->desc_size >= EFI_DESC_MIN && r->desc_size % 8 == 0, "desc_size %lu", r->desc_size);
    EXPECT(r->memmap_size && r->memmap_size % r->desc_size == 0, "memmap_size %lu vs desc_size %lu", r->memmap_size,
           r->desc_size);
    EXPECT(r->desc_version == EFI_DESC_VERSION, "desc_version %lu", r->desc_version);
    if (lk_req_memmap.response)
        EXPECT(lk_memmap_covers(lk_virt_to_phys_hint((uint64_t)r->memmap), r->memmap_size, TYPE_BIT(LK_MEM_RECLAIMABLE)),
               "the EFI memory map copy is not in bootloader-reclaimable memory");
    uint64_t n = r->memmap_size / r->desc_size;
    for (uint64_t i = 0; i < n; i++) {
        const struct efi_desc *d = (const void *)((const uint8_t *)r->memmap + i * r->desc_size);
        EXPECT(!(d->phys & PAGE_MASK) && d->pages && d->phys + d->pages * PAGE_SIZE > d->phys,
               "descriptor %lu: %lx x %lu pages", i, d->phys, d->pages);
    }
    PASS("descriptors=%lu desc_size=%lu version=1", n, r->desc_size);
}

void lk_check_stack(void)
{
    CHECK("stack");
    NEED(lk_req_stack.response);
    uint64_t top = lk_entry_state[ES_RSP] + 8;   /* before the pushed 0 */
    struct lk_walk w;
    for (uint64_t va = top - LK_STACK_SIZE; va < top; va += PAGE_SIZE) {
        EXPECT(lk_walk(va, &w) == 0 && (w.pte & PTE_W), "stack page %lx (of %x bytes asked) not mapped writable", va,
               LK_STACK_SIZE);
        if (lk_req_memmap.response)
            EXPECT(lk_memmap_covers(w.pa & ~PAGE_MASK, PAGE_SIZE, TYPE_BIT(LK_MEM_RECLAIMABLE)),
                   "stack page %lx (phys %lx) not bootloader-reclaimable", va, w.pa);
    }
    PASS("top=%lx size>=%x reclaimable", top, LK_STACK_SIZE);
}

static uint64_t here(void)
{
    uint64_t rip;
    __asm__ volatile("lea 0(%%rip), %0" : "=r"(rip));
    return rip;
}

void lk_check_executable_address(void)
{
    CHECK("executable_address");
    const struct lk_exec_address_resp *r = lk_req_addr.response;
    NEED(r);
    uint64_t image = (uint64_t)__lk_image_start;   /* RIP-relative in the PIE, link-time in ET_EXEC */
    EXPECT(!(r->physical_base & PAGE_MASK), "physical_base %lx not page-aligned", r->physical_base);
    EXPECT(r->virtual_base == (image & ~PAGE_MASK), "virtual_base %lx, the image starts at %lx", r->virtual_base, image);
    EXPECT(r->virtual_base >= LK_HIGHER_HALF_MIN, "virtual_base %lx below 0xffffffff80000000", r->virtual_base);
    const uint64_t probes[] = { here(), (uint64_t)__lk_text_start, (uint64_t)__lk_data_start, (uint64_t)__lk_bss_start,
                                (uint64_t)__lk_image_end - 1, (uint64_t)&hhdm_probe };
    struct lk_walk w;
    for (unsigned i = 0; i < sizeof probes / sizeof probes[0]; i++) {
        EXPECT(lk_walk(probes[i], &w) == 0, "%lx (probe %u) not mapped", probes[i], i);
        EXPECT(w.pa == r->physical_base + (probes[i] - r->virtual_base),
               "%lx maps to %lx, the response says %lx (not one uniform offset)", probes[i], w.pa,
               r->physical_base + (probes[i] - r->virtual_base));
    }
    if (lk_req_memmap.response)
        EXPECT(lk_memmap_covers(r->physical_base, (uint64_t)__lk_image_end - r->virtual_base, TYPE_BIT(LK_MEM_EXEC_MODULES)),
               "image %lx+%lx not inside executable-and-modules entries", r->physical_base,
               (uint64_t)__lk_image_end - r->virtual_base);
    PASS("phys=%lx virt=%lx rip=%lx", r->physical_base, r->virtual_base, here());
}
