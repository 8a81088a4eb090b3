/* Checks of the informational responses: base revision handshake, request
 * markers, bootloader info, firmware type, executable file and command line,
 * entry point, modules, date at boot and framebuffers. */
#include <elf.h>
#include "lk_entry.h"
#include "lk_kernel.h"
#include "lk_x86.h"

#define UNIX_2020 1577836800LL
#define UNIX_2100 4102444800LL
#define DATE_SLACK (86400LL + 600LL)      /* RTC in local time vs the host's UTC, plus boot time */
#define NAME_MAX_LEN 128
#define PAT_INDEX_WC 5

static int printable(const char *s, size_t max)
{
    size_t n = 0;
    for (; n < max && s[n]; n++)
        if (s[n] < 0x20 || s[n] > 0x7e)
            return 0;
    return n > 0 && n < max;
}

static int ends_with(const char *s, const char *tail)
{
    size_t a = strlen(s), b = strlen(tail);
    return a >= b && !memcmp(s + a - b, tail, b);
}

static const char *cmdline(void)
{
    const struct lk_exec_cmdline_resp *r = lk_req_cmdline.response;
    return r && r->cmdline ? r->cmdline : "";
}

void lk_check_base_revision(void)
{
    CHECK("base_revision");
    uint64_t t1 = lk_base_revision[1], t2 = lk_base_revision[2];
    if (LK_TAG_REVISION != LK_BASE_REVISION) {
        /* Newer than served: word 2 stays as asked, word 1 says what was used. */
        EXPECT(t2 == LK_TAG_REVISION, "tag word 2 = %lu: revision %d claimed as supported", t2, LK_TAG_REVISION);
        EXPECT(t1 == LK_BASE_REVISION, "tag word 1 = %lx, want the loaded revision %d", t1, LK_BASE_REVISION);
        PASS("asked=%d unsupported, loaded=%lu", LK_TAG_REVISION, t1);
        return;
    }
    EXPECT(t2 == 0, "tag word 2 still %lu: revision %d not supported", t2, LK_BASE_REVISION);
    EXPECT(t1 == LK_BASE_REVISION, "tag word 1 = %lx: loaded with another revision than the %d asked", t1, LK_BASE_REVISION);
    PASS("asked=%d loaded=%lu", LK_BASE_REVISION, t1);
}

void lk_check_markers(void)
{
    CHECK("markers");
    EXPECT(lk_req_decoy.response == NULL, "the request after the end marker got a response");
    PASS("request after the end marker ignored");
}

void lk_check_unknown_request(void)
{
    CHECK("unknown_request");
    EXPECT(lk_req_unknown.response == NULL, "a request with an unknown ID got a response");
    PASS("no response, boot went on");
}

void lk_check_bootloader_info(void)
{
    CHECK("bootloader_info");
    const struct lk_bootloader_info_resp *r = lk_req_info.response;
    NEED(r);
    EXPECT(lk_is_hhdm_ptr(r) && lk_is_hhdm_ptr(r->name) && lk_is_hhdm_ptr(r->version), "pointers not in the HHDM");
    EXPECT(printable(r->name, NAME_MAX_LEN) && printable(r->version, NAME_MAX_LEN), "name/version not printable ASCII");
    if (lk_req_memmap.response)
        EXPECT(lk_memmap_covers(lk_virt_to_phys_hint((uint64_t)r), sizeof *r, TYPE_BIT(LK_MEM_RECLAIMABLE)),
               "response not in bootloader-reclaimable memory");
    PASS("name=%s version=%s", r->name, r->version);
}

void lk_check_firmware_type(void)
{
    CHECK("firmware_type");
    const struct lk_firmware_type_resp *r = lk_req_firmware.response;
    NEED(r);
    EXPECT(r->firmware_type == LK_FIRMWARE_EFI64, "firmware_type %lu, want 2 (64-bit EFI)", r->firmware_type);
    PASS("efi64");
}

void lk_check_executable_file(void)
{
    CHECK("executable_file");
    const struct lk_exec_file_resp *r = lk_req_file.response;
    NEED(r);
    const struct lk_file *f = r->file;
    EXPECT(lk_is_hhdm_ptr(f) && lk_is_hhdm_ptr(f->address), "file %p / address %p not in the HHDM", (const void *)f,
           f ? f->address : NULL);
    EXPECT(!((uint64_t)f->address & PAGE_MASK), "address %p not 4 KiB aligned", f->address);
    EXPECT(f->path && f->path[0] == '/' && ends_with(f->path, "kernel.elf"), "path '%s'", f->path ? f->path : "");
    const Elf64_Ehdr *eh = f->address;
    EXPECT(f->size >= sizeof *eh && !memcmp(eh->e_ident, ELFMAG, SELFMAG), "no ELF header at the address");
#ifdef LK_PIE
    EXPECT(eh->e_type == ET_DYN, "e_type %u, this kernel is ET_DYN", eh->e_type);
#else
    EXPECT(eh->e_type == ET_EXEC, "e_type %u, this kernel is ET_EXEC", eh->e_type);
#endif
    /* GNU ld writes the section headers last: they end the file. */
    EXPECT(f->size == eh->e_shoff + (uint64_t)eh->e_shnum * eh->e_shentsize, "size %lu, the ELF ends at %lu", f->size,
           eh->e_shoff + (uint64_t)eh->e_shnum * eh->e_shentsize);
    uint64_t want_size, want_fnv;
    if (lk_cmdline_u64(cmdline(), "lk.file_size", &want_size) && lk_cmdline_u64(cmdline(), "lk.file_fnv", &want_fnv)) {
        EXPECT(f->size == want_size, "size %lu, the file on the ESP has %lu", f->size, want_size);
        EXPECT(lk_fnv1a32(f->address, f->size) == want_fnv, "bytes differ from the file on the ESP (fnv %x, want %lx)",
               lk_fnv1a32(f->address, f->size), want_fnv);
    }
    uint64_t slide = (uint64_t)lk_elf_entry - eh->e_entry;
    const Elf64_Phdr *ph = (const void *)((const uint8_t *)f->address + eh->e_phoff);
    int compared = 0;
    for (int i = 0; i < eh->e_phnum; i++) {
        if (ph[i].p_type != PT_LOAD || !(ph[i].p_flags & PF_X) || !ph[i].p_filesz)
            continue;
        EXPECT(!memcmp((const void *)(ph[i].p_vaddr + slide), (const uint8_t *)f->address + ph[i].p_offset, ph[i].p_filesz),
               "loaded text differs from the file's bytes (segment %d)", i);
        compared++;
    }
    EXPECT(compared, "no executable PT_LOAD in the file");
    PASS("path=%s size=%lu text matches the file", f->path, f->size);
}

void lk_check_cmdline(void)
{
    CHECK("cmdline");
    const struct lk_exec_cmdline_resp *r = lk_req_cmdline.response;
    NEED(r);
    EXPECT(lk_is_hhdm_ptr(r->cmdline), "cmdline %p not in the HHDM", (const void *)r->cmdline);
    uint64_t probe;
    EXPECT(lk_cmdline_u64(r->cmdline, "lk.probe", &probe) && probe == 1, "'lk.probe=1' not in '%s'", r->cmdline);
    const struct lk_exec_file_resp *f = lk_req_file.response;
    if (f)
        EXPECT(f->file->string == r->cmdline, "executable file string %p is not the cmdline %p (same memory per spec)",
               (const void *)f->file->string, (const void *)r->cmdline);
    PASS("'%s'", r->cmdline);
}

void lk_check_entry_point(void)
{
    CHECK("entry_point");
    uint64_t via = lk_entry_state[ES_VIA];
    if (!lk_req_entry.response) {
        EXPECT(via == ES_VIA_ELF, "no response, yet entered through the requested entry point");
        lk_missing(check_name_);
        return;
    }
    EXPECT(via == ES_VIA_REQUEST, "response given, but entered through e_entry");
    PASS("entered at the requested %p", (void *)lk_entry);
}

/* A module made by lk-pattern.py: string "lk-pattern SEED SIZE". */
static const char *module_problem(const struct lk_file *m)
{
    static char why[96];
    const char *s = m->string, *rest;
    if (!lk_is_hhdm_ptr(m) || !lk_is_hhdm_ptr(m->address) || ((uint64_t)m->address & PAGE_MASK))
        return "pointers not page-aligned HHDM addresses";
    if (!m->path || m->path[0] != '/')
        return "path without a leading slash";
    if (!s || memcmp(s, "lk-pattern ", 11))
        return "string is not 'lk-pattern SEED SIZE'";
    uint64_t seed = lk_parse_u64(s + 11, &rest);
    uint64_t size = lk_parse_u64(rest + (*rest == ' '), NULL);
    if (m->size != size)
        return "size differs from the file's";
    const uint8_t *b = m->address;
    for (uint64_t i = 0; i < size; i++) {
        if (b[i] != lk_pattern_byte(seed, i)) {
            lk_snprintf(why, sizeof why, "byte %lu is %x, the file has %x", i, b[i], lk_pattern_byte(seed, i));
            return why;
        }
    }
    if (lk_req_memmap.response &&
        !lk_memmap_covers(lk_virt_to_phys_hint((uint64_t)m->address), size ? size : 1, TYPE_BIT(LK_MEM_EXEC_MODULES)))
        return "not in an executable-and-modules entry";
    return NULL;
}

void lk_check_modules(void)
{
    CHECK("modules");
    const struct lk_module_resp *r = lk_req_module.response;
    NEED(r);
    uint64_t from_config = 0;
    lk_cmdline_u64(cmdline(), "lk.modules", &from_config);
    uint64_t internal = r->revision >= 1 ? lk_req_module.internal_count : 0;
    EXPECT(r->count == internal + from_config, "%lu modules, want %lu internal + %lu from pagoda.conf", r->count, internal,
           from_config);
    if (internal)
        EXPECT(ends_with(r->modules[0]->path, lk_internal_module_path) &&
                   lk_streq(r->modules[0]->string, lk_internal_module_string),
               "modules[0] is '%s' '%s', not the internal module", r->modules[0]->path, r->modules[0]->string);
    for (uint64_t i = 0; i < r->count; i++) {
        const char *why = module_problem(r->modules[i]);
        EXPECT(!why, "module %lu (%s): %s", i, r->modules[i]->path, why);
    }
    PASS("count=%lu internal=%lu contents match", r->count, internal);
}

void lk_check_date(void)
{
    CHECK("date");
    const struct lk_date_resp *r = lk_req_date.response;
    NEED(r);
    EXPECT(r->timestamp >= UNIX_2020 && r->timestamp < UNIX_2100, "timestamp %ld implausible", r->timestamp);
    uint64_t now;
    if (lk_cmdline_u64(cmdline(), "lk.now", &now)) {
        int64_t d = r->timestamp - (int64_t)now;
        EXPECT(d > -DATE_SLACK && d < DATE_SLACK, "timestamp %ld, the host said %lu", r->timestamp, now);
    }
    PASS("timestamp=%ld", r->timestamp);
}

static unsigned pat_index(const struct lk_walk *w)
{
    uint64_t pat_bit = w->level == 1 ? PTE_PAT4K : PTE_PATLG;
    return ((w->pte & pat_bit) ? 4u : 0u) | ((w->pte & PTE_PCD) ? 2u : 0u) | ((w->pte & PTE_PWT) ? 1u : 0u);
}

static const char *fb_problem(const struct lk_framebuffer *fb)
{
    if (!lk_is_hhdm_ptr(fb) || !lk_is_hhdm_ptr(fb->address))
        return "pointers not in the HHDM";
    if (!fb->width || !fb->height || fb->bpp < 16 || fb->bpp % 8 || fb->pitch < fb->width * (fb->bpp / 8))
        return "geometry";
    if (fb->memory_model != LK_FB_RGB)
        return "memory model is not RGB";
    uint64_t r = ((1UL << fb->red_size) - 1) << fb->red_shift, g = ((1UL << fb->green_size) - 1) << fb->green_shift,
             b = ((1UL << fb->blue_size) - 1) << fb->blue_shift;
    if (!fb->red_size || !fb->green_size || !fb->blue_size || (r & g) || (r & b) || (g & b) || ((r | g | b) >> fb->bpp))
        return "colour masks overlap or exceed bpp";
    uint64_t pa = lk_virt_to_phys_hint((uint64_t)fb->address);
    if (lk_req_memmap.response && !lk_memmap_covers(pa, fb->pitch * fb->height, TYPE_BIT(LK_MEM_FRAMEBUFFER)))
        return "not covered by framebuffer memory-map entries";
    struct lk_walk w;
    if (lk_walk((uint64_t)fb->address, &w) || w.pa != pa)
        return "HHDM does not map it";
    if (pat_index(&w) != PAT_INDEX_WC)
        return "not mapped write-combining (PAT5)";
    volatile uint32_t *px = fb->address;
    uint32_t old = px[0];
    px[0] = 0x00a5c3e1;
    int ok = px[0] == 0x00a5c3e1;
    px[0] = old;
    return ok ? NULL : "a pixel written does not read back";
}

void lk_check_framebuffer(void)
{
    CHECK("framebuffer");
    const struct lk_framebuffer_resp *r = lk_req_fb.response;
    NEED(r);
    EXPECT(r->count >= 1 && lk_is_hhdm_ptr(r->fbs), "count %lu fbs %p", r->count, (void *)r->fbs);
    for (uint64_t i = 0; i < r->count; i++) {
        const struct lk_framebuffer *fb = r->fbs[i];
        const char *why = fb_problem(fb);
        EXPECT(!why, "framebuffer %lu: %s", i, why);
        if (r->revision >= 1)
            EXPECT(!fb->mode_count || lk_is_hhdm_ptr(fb->modes), "framebuffer %lu: %lu modes at %p", i, fb->mode_count,
                   (void *)fb->modes);
    }
    const struct lk_framebuffer *fb = r->fbs[0];
    PASS("count=%lu %lux%lu bpp=%u pitch=%lu wc", r->count, fb->width, fb->height, fb->bpp, fb->pitch);
}
