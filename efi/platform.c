/* What the loader learns about the machine while firmware is alive: CPU
 * features (CPUID), every CPU (EFI_MP_SERVICES_PROTOCOL), the GOP
 * framebuffer, the ACPI RSDP and a TSC frequency estimate. */
#include "efi_mp.h"
#include "loader.h"
#include "tsc_calib.h"
#include "x86/cpu.h"


unsigned platform_cpu_features(void)
{
    unsigned f = 0;
    struct cpuid_regs r;

    if (cpuid(CPUID_EXT_MAX, 0).eax >= CPUID_EXT_INFO) {
        r = cpuid(CPUID_EXT_INFO, 0);
        if (r.edx & CPUIDX_EDX_1G)
            f |= BI_CPU_1G_PAGES;
        if (r.edx & CPUIDX_EDX_NX)
            f |= BI_CPU_NX;
    }
    if (cpuid(0, 0).eax >= CPUID_EXT_FEATURES7 && (cpuid(CPUID_EXT_FEATURES7, 0).ecx & CPUID7_ECX_LA57))
        f |= BI_CPU_LA57;
    if (cpuid(CPUID_FEATURES, 0).ecx & CPUID1_ECX_X2APIC)
        f |= BI_CPU_X2APIC;
    return f;
}

static uint32_t cpu_flags(UINT32 status)
{
    uint32_t f = 0;

    if (status & PROCESSOR_AS_BSP_BIT)
        f |= CPU_FLAG_BSP;
    if (status & PROCESSOR_ENABLED_BIT)
        f |= CPU_FLAG_ENABLED;
    if (status & PROCESSOR_HEALTH_STATUS_BIT)
        f |= CPU_FLAG_HEALTHY;
    return f;
}

/* The BSP's APIC ID: CPUID leaf 0xB's 32-bit x2APIC ID where the leaf
 * exists, else leaf 1's 8-bit one. Used when MP Services is absent. */
static uint32_t bsp_apic_id_cpuid(void)
{
    if (cpuid(0, 0).eax >= CPUID_TOPOLOGY)
        return cpuid(CPUID_TOPOLOGY, 0).edx;
    return cpuid(CPUID_FEATURES, 0).ebx >> 24;
}

/* The list's storage: `count` entries in loader-reclaimable pages of their
 * own (the kernel reads them as long as it reads the boot info, which lives
 * in the same kind of memory). */
static EFI_STATUS cpu_list_alloc(struct bootinfo *bi, UINTN count)
{
    paddr_t pa;
    EFI_STATUS st;

    if (count > UINT32_MAX)
        return EFI_UNSUPPORTED;   /* cpu_count is 32 bits; no firmware reports that many */
    if ((st = alloc_pages(PAGODA_MEM_BOOTINFO, count * sizeof(struct bootinfo_cpu), AllocateAnyPages, 0,
                          &pa)))
        return st;
    bi->cpu_list = pa;
    bi->cpu_entry_size = sizeof(struct bootinfo_cpu);
    return EFI_SUCCESS;
}

static struct bootinfo_cpu *cpu_entry(struct bootinfo *bi, uint32_t i)
{
    return (struct bootinfo_cpu *)(uintptr_t)(bi->cpu_list + (uint64_t)i * bi->cpu_entry_size);
}

/* Reuses the list's storage when MP Services filled it: one entry fits. */
static EFI_STATUS single_cpu(struct bootinfo *bi, const char *why)
{
    EFI_STATUS st;

    con_note("pagoda: %s: assuming one CPU\n", why);
    if (!bi->cpu_list && (st = cpu_list_alloc(bi, 1)))
        return st;
    bi->cpu_count = 1;
    bi->cpus_from_mp = 0;
    bi->bsp_apic_id = bsp_apic_id_cpuid();
    *cpu_entry(bi, 0) = (struct bootinfo_cpu){ .apic_id = bi->bsp_apic_id,
                                               .flags = CPU_FLAG_BSP | CPU_FLAG_ENABLED | CPU_FLAG_HEALTHY };
    return EFI_SUCCESS;
}

/* Record CPU i, or report it and leave it out when MP Services cannot
 * describe it: without its APIC ID the kernel could not address it, and a
 * made-up entry would be INITed and SIPIed as if it were real. */
static void record_cpu(struct bootinfo *bi, EFI_MP_SERVICES_PROTOCOL *mp, UINTN i)
{
    EFI_PROCESSOR_INFORMATION info;
    EFI_STATUS st = mp->GetProcessorInfo(mp, i, &info);

    if (EFI_ERROR(st)) {
        con_note("pagoda: cpu %lu: GetProcessorInfo failed: %s; not recorded, the kernel will not "
                   "start it\n", (unsigned long)i, efi_status_str(st));
        return;
    }
    struct bootinfo_cpu *c = cpu_entry(bi, bi->cpu_count++);
    *c = (struct bootinfo_cpu){ .apic_id = (uint32_t)info.ProcessorId,
                                .flags = cpu_flags(info.StatusFlag),
                                .package = info.Location.Package,
                                .core = info.Location.Core,
                                .thread = info.Location.Thread };
    if (c->flags & CPU_FLAG_BSP)
        bi->bsp_apic_id = c->apic_id;
}

/* Every CPU MP Services knows, into a list sized from its count (no fixed
 * limit). Fails only when the list's few pages cannot be allocated. */
EFI_STATUS platform_collect_cpus(struct bootinfo *bi)
{
    EFI_GUID guid = EFI_MP_SERVICES_PROTOCOL_GUID;
    EFI_MP_SERVICES_PROTOCOL *mp;
    UINTN total, enabled;
    EFI_STATUS st;

    if (EFI_ERROR(uefi_call_wrapper(BS->LocateProtocol, 3, &guid, NULL, (void **)&mp)))
        return single_cpu(bi, "no EFI_MP_SERVICES_PROTOCOL");
    if (EFI_ERROR(mp->GetNumberOfProcessors(mp, &total, &enabled)) || total == 0)
        return single_cpu(bi, "MP Services GetNumberOfProcessors failed");
    if ((st = cpu_list_alloc(bi, total)))
        return st;
    bi->cpu_count = 0;
    for (UINTN i = 0; i < total; i++)
        record_cpu(bi, mp, i);
    /* The BSP is the CPU running this code: if MP Services could not
     * describe it either, nothing it said can be trusted. */
    bool have_bsp = false;
    for (uint32_t i = 0; i < bi->cpu_count; i++)
        have_bsp |= (cpu_entry(bi, i)->flags & CPU_FLAG_BSP) != 0;
    if (!have_bsp)
        return single_cpu(bi, "MP Services did not describe the BSP");
    bi->cpus_from_mp = 1;
    con_note("pagoda: cpus: %u found (%lu enabled), BSP APIC ID %u\n", bi->cpu_count,
               (unsigned long)enabled, bi->bsp_apic_id);
    return EFI_SUCCESS;
}

static uint32_t fb_format(EFI_GRAPHICS_PIXEL_FORMAT f)
{
    switch (f) {
    case PixelRedGreenBlueReserved8BitPerColor: return FB_FORMAT_RGBX;
    case PixelBlueGreenRedReserved8BitPerColor: return FB_FORMAT_BGRX;
    case PixelBitMask: return FB_FORMAT_BITMASK;
    default: return FB_FORMAT_NONE; /* PixelBltOnly: no linear framebuffer */
    }
}

/* Bytes per pixel: 4 for the two fixed formats; for a bit-mask mode, the
 * bytes up to the highest bit any mask (reserved included) uses, as the
 * masks define the pixel (UEFI 2.10, 12.9; Linux's efifb reads them the
 * same way). A 16- or 24-bit mode then gets its true pitch, and the kernel,
 * which draws 32-bit pixels only, refuses it. */
static uint32_t fb_bytes_per_pixel(const EFI_GRAPHICS_OUTPUT_MODE_INFORMATION *info)
{
    const EFI_PIXEL_BITMASK *m = &info->PixelInformation;
    uint32_t all = m->RedMask | m->GreenMask | m->BlueMask | m->ReservedMask;

    if (info->PixelFormat != PixelBitMask || all == 0)
        return 4;
    return (32 - (uint32_t)__builtin_clz(all) + 7) / 8;
}

void platform_find_framebuffer(struct bootinfo_fb *fb)
{
    EFI_GRAPHICS_OUTPUT_PROTOCOL *gop;
    EFI_GRAPHICS_OUTPUT_MODE_INFORMATION *info;

    *fb = (struct bootinfo_fb){ 0 };
    if (EFI_ERROR(uefi_call_wrapper(BS->LocateProtocol, 3, &GraphicsOutputProtocol, NULL,
                                    (void **)&gop)) || !gop->Mode || !gop->Mode->Info)
        return;
    info = gop->Mode->Info;
    fb->format = fb_format(info->PixelFormat);
    if (fb->format == FB_FORMAT_NONE)
        return;
    fb->base = gop->Mode->FrameBufferBase;
    fb->size = gop->Mode->FrameBufferSize;
    fb->width = info->HorizontalResolution;
    fb->height = info->VerticalResolution;
    fb->pitch = info->PixelsPerScanLine * fb_bytes_per_pixel(info);
    fb->red_mask = info->PixelInformation.RedMask;
    fb->green_mask = info->PixelInformation.GreenMask;
    fb->blue_mask = info->PixelInformation.BlueMask;
    fb->reserved_mask = info->PixelInformation.ReservedMask;
}

/* ACPI 2.0+ RSDP if the firmware published one, else the 1.0 one. */
paddr_t platform_find_rsdp(void)
{
    EFI_GUID acpi20 = ACPI_20_TABLE_GUID, acpi10 = ACPI_TABLE_GUID;
    paddr_t v1 = 0;

    for (UINTN i = 0; i < ST->NumberOfTableEntries; i++) {
        EFI_CONFIGURATION_TABLE *t = &ST->ConfigurationTable[i];
        if (CompareGuid(&t->VendorGuid, &acpi20) == 0)
            return (paddr_t)(uintptr_t)t->VendorTable;
        if (CompareGuid(&t->VendorGuid, &acpi10) == 0)
            v1 = (paddr_t)(uintptr_t)t->VendorTable;
    }
    return v1;
}
