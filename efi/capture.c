/* Memory-map capture (capture=1 in pagoda.conf): write what the loader saw
 * of this machine to \EFI\pagoda\memmap.txt on the boot volume, so that a
 * machine that fails to boot can be replayed on a host (tools/replay.c).
 * Format: include/memmap_capture.h and docs/memmap-capture.md.
 *
 * Runs while boot services are alive, before the final GetMemoryMap. The
 * write changes the map it records (a file handle, the text buffer, FAT
 * driver buffers), so the order is: open the file, allocate, GetMemoryMap,
 * format, write. The map in the file is the one taken just before the
 * write; the exit map differs from it by what the write and the frees did.
 *
 * Never fatal: a read-only volume or any other failure prints one line and
 * the boot goes on. */
#include <stdarg.h>

#include "fmt.h"
#include "loader.h"
#include "memmap_capture.h"

#define CAPTURE_PATH            L"\\EFI\\pagoda\\memmap.txt"
#define CAPTURE_LINE_MAX        160  /* longest record written, with margin */
#define CAPTURE_FIXED_LINES     16   /* comment, magic, firmware, cpuid, cpus, fb, memmap, end */
/* The file open and the two allocations below come before the recorded
 * GetMemoryMap and may add descriptors to it. */
#define CAPTURE_SLACK_DESCRIPTORS 16
#define VENDOR_MAX              64   /* characters of ST->FirmwareVendor kept */

/* Text being formatted into pool memory. Overflow is sticky and only
 * possible if the sizing above is wrong; the file is then not written. */
struct text {
    char *buf;
    size_t len, cap;
    bool overflow;
};

static void text_printf(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void text_printf(struct text *t, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    int n = fmt_vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= t->cap - t->len) {
        t->overflow = true;
        return;
    }
    t->len += (size_t)n;
}

/* ---- records ------------------------------------------------------------ */

static void put_firmware(struct text *t)
{
    char vendor[VENDOR_MAX + 1];
    size_t n = 0;

    /* UCS-2 to printable ASCII: the vendor ends its line, so no newline may
     * get through, and the file stays plain ASCII. */
    for (const CHAR16 *c = ST->FirmwareVendor; c && *c && n < VENDOR_MAX; c++)
        vendor[n++] = (*c >= 0x20 && *c < 0x7F) ? (char)*c : '?';
    vendor[n] = '\0';
    text_printf(t, CAPTURE_REC_FIRMWARE " uefi=0x%x revision=0x%x vendor=%s\n",
                ST->Hdr.Revision, ST->FirmwareRevision, vendor);
}

static void put_cpuid(struct text *t, uint32_t f)
{
    text_printf(t, CAPTURE_REC_CPUID " 1g=%d nx=%d la57=%d x2apic=%d\n",
                !!(f & BI_CPU_1G_PAGES), !!(f & BI_CPU_NX), !!(f & BI_CPU_LA57),
                !!(f & BI_CPU_X2APIC));
}

/* "bsp,enabled,healthy" (19 characters at most), or "none". */
static const char *cpu_flag_names(uint32_t flags, char *buf, size_t cap)
{
    static const struct { uint32_t bit; const char *name; } names[] = {
        { CPU_FLAG_BSP, "bsp" }, { CPU_FLAG_ENABLED, "enabled" }, { CPU_FLAG_HEALTHY, "healthy" },
    };
    size_t len = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < ARRAY_LEN(names); i++)
        if (flags & names[i].bit)
            len += (size_t)fmt_snprintf(buf + len, cap - len, "%s%s", len ? "," : "",
                                        names[i].name);
    return len ? buf : "none";
}

/* The CPU list platform_collect_cpus took from MP Services (or the BSP
 * alone when there is none). */
static void put_cpus(struct text *t, const struct bootinfo *bi)
{
    char flags[32];

    text_printf(t, CAPTURE_REC_CPUS " count=%u source=%s bsp_apic=%u\n", bi->cpu_count,
                bi->cpus_from_mp ? CAPTURE_CPUS_MP : CAPTURE_CPUS_NONE, bi->bsp_apic_id);
    for (uint32_t i = 0; i < bi->cpu_count; i++) {
        const struct bootinfo_cpu *c = &bootinfo_cpus(bi, 0)[i];
        text_printf(t, CAPTURE_REC_CPU " apic=%u flags=%s package=%u core=%u thread=%u\n", c->apic_id,
                    cpu_flag_names(c->flags, flags, sizeof(flags)), c->package, c->core, c->thread);
    }
}

static void put_fb(struct text *t, const struct bootinfo_fb *fb)
{
    static const char *const formats[] = {
        [FB_FORMAT_NONE] = "none", [FB_FORMAT_RGBX] = "rgbx",
        [FB_FORMAT_BGRX] = "bgrx", [FB_FORMAT_BITMASK] = "bitmask",
    };
    const char *format = fb->format < ARRAY_LEN(formats) ? formats[fb->format] : "none";

    text_printf(t, CAPTURE_REC_FB " base=0x%lx size=0x%lx width=%u height=%u pitch=%u format=%s\n",
                (unsigned long)fb->base, (unsigned long)fb->size, fb->width, fb->height, fb->pitch,
                format);
}

/* Every descriptor as the firmware gave it, plus the tracker type the
 * loader assigns it (memmap_to_raw): the replay uses that decision rather
 * than a second copy of the table. VirtualStart is left out: it means
 * nothing before SetVirtualAddressMap. */
static void put_memmap(struct text *t, const struct memmap *mm, const struct pmem_raw *raw)
{
    UINTN n = memmap_count(mm);

    text_printf(t, CAPTURE_REC_MEMMAP " count=%lu desc_size=%lu desc_version=%u\n", (unsigned long)n,
                (unsigned long)mm->desc_size, mm->desc_version);
    for (UINTN i = 0; i < n; i++) {
        const EFI_MEMORY_DESCRIPTOR *d = memmap_desc(mm, i);
        text_printf(t, CAPTURE_REC_DESC " type=0x%x phys=0x%016lx pages=0x%lx attr=0x%lx pmem=%s\n",
                    d->Type, (unsigned long)d->PhysicalStart, (unsigned long)d->NumberOfPages,
                    (unsigned long)d->Attribute, pmem_type_name(raw[i].type));
    }
}

/* ---- the file ----------------------------------------------------------- */

/* Size and allocate the text and the tracker-type scratch, then take the
 * map that goes into the file and format everything. */
static EFI_STATUS format_capture(struct memmap *mm, const struct bootinfo *bi, struct text *t,
                                 struct pmem_raw **raw)
{
    EFI_STATUS st = memmap_get(mm);
    if (EFI_ERROR(st))
        return st;
    UINTN max_desc = memmap_count(mm) + CAPTURE_SLACK_DESCRIPTORS;
    t->cap = (max_desc + bi->cpu_count + CAPTURE_FIXED_LINES) * CAPTURE_LINE_MAX;
    if ((st = uefi_call_wrapper(BS->AllocatePool, 3, EfiLoaderData, t->cap, (void **)&t->buf)) ||
        (st = uefi_call_wrapper(BS->AllocatePool, 3, EfiLoaderData, max_desc * sizeof(**raw),
                                (void **)raw)) ||
        (st = memmap_get(mm)))
        return st;
    if (memmap_count(mm) > max_desc)
        return EFI_BUFFER_TOO_SMALL;
    memmap_to_raw(mm, *raw);

    text_printf(t, "# Pagoda memory-map capture (docs/memmap-capture.md); "
                   "replay: build/tools/replay FILE\n");
    text_printf(t, CAPTURE_REC_MAGIC " version=%d\n", CAPTURE_VERSION);
    put_firmware(t);
    put_cpuid(t, bi->cpu_features);
    put_cpus(t, bi);
    put_fb(t, &bi->fb);
    put_memmap(t, mm, *raw);
    text_printf(t, CAPTURE_REC_END "\n");
    return t->overflow ? EFI_BUFFER_TOO_SMALL : EFI_SUCCESS;
}

void capture_write(EFI_HANDLE image, struct memmap *mm, const struct bootinfo *bi)
{
    struct text t = { 0 };
    struct pmem_raw *raw = NULL;
    EFI_FILE_HANDLE f;
    EFI_STATUS st;

    st = fs_create_file(image, CAPTURE_PATH, &f);
    if (EFI_ERROR(st)) {
        con_printf("pagoda: capture: cannot create " CAPTURE_PATH_TEXT ": %s; booting on\n",
                   efi_status_str(st));
        return;
    }
    st = format_capture(mm, bi, &t, &raw);
    if (!EFI_ERROR(st))
        st = fs_write_all(f, t.buf, t.len);
    uefi_call_wrapper(f->Close, 1, f);   /* EFI_SUCCESS only; fs_write_all flushed */
    if (EFI_ERROR(st))
        con_printf("pagoda: capture: writing " CAPTURE_PATH_TEXT " failed: %s; booting on\n",
                   efi_status_str(st));
    else
        con_note("pagoda: capture: " CAPTURE_PATH_TEXT ": %lu descriptors, %lu bytes\n",
                   (unsigned long)memmap_count(mm), (unsigned long)t.len);
    /* FreePool fails only for a buffer AllocatePool did not return. */
    if (t.buf)
        uefi_call_wrapper(BS->FreePool, 1, t.buf);
    if (raw)
        uefi_call_wrapper(BS->FreePool, 1, raw);
}
