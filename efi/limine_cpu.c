/* The machine state a Limine kernel starts in (PROTOCOL.md, x86-64 "Machine
 * State at Entry"), set after ExitBootServices, before limine_entry.S:
 *   - PAT: PAT0 WB, PAT1 WT, PAT2 UC-, PAT3 UC, PAT4 WP, PAT5 WC, written
 *     with the SDM's cache-disabled procedure (x86/mtrr.h), which on each
 *     AP also writes the BSP's MTRRs (spec, MP feature: "The MTRRs of APs
 *     will be synchronised by the bootloader to match the BSP");
 *   - the legacy PIC and every I/O APIC redirection entry masked (every
 *     delivery mode: the revision 5+ rule for NMI/ExtINT entries is then
 *     met at every revision);
 *   - revision 5+: the local APIC enabled with SVR 0x1FF, TPR 0 and every
 *     LVT entry masked; CR0 = PE|ET|WP|PG, CR4 = PAE (+LA57), EFER = LME|LMA|NXE
 *     exactly (limine_entry.S writes them last, and loads the null IDTR
 *     and LDTR);
 *   - older revisions: CR0.WP and EFER.NXE set, the rest as the firmware
 *     left it.
 *   - revision 5+: every VT-d unit's translation and interrupt remapping
 *     off (limine_iommu.c), unless the keep-IOMMU request asks otherwise;
 *   - with an MP request, every CPU in the APIC mode limine_mp.c chose
 *     (x2APIC as asked, else xAPIC, even when the firmware left x2APIC on);
 *     without one, the firmware's mode.
 * RFLAGS is 0x2 at entry at every revision (IF, DF and VM clear).
 * limine_ap_cpu_setup gives each AP the same APIC mode and local APIC
 * state; it runs at its HHDM alias, so it reads no global through the GOT
 * and calls nothing out of line. */
#include "limine.h"
#include "x86/apic.h"
#include "x86/apic_mode.h"
#include "x86/cpu.h"
#include "x86/lapic_cpu.h"
#include "x86/ioapic.h"
#include "x86/mtrr.h"
#include "x86/pic.h"

#define RFLAGS_FIXED 0x2ULL   /* bit 1 always reads 1 */

/* The BSP's MTRRs, read after the exit; the APs copy them (read at this
 * file's HHDM alias: static, so RIP-relative, no GOT). */
static struct mtrr_state bsp_mtrrs;

uint32_t limine_tr_lock;

/* PAT (and on an AP the BSP's MTRRs) with the SDM's procedure; a CPU
 * without MTRRs, or with other ranges than the BSP (not an MP system the
 * SDM knows), gets the PAT alone. Interrupts are off. */
static void write_pat_and_mtrrs(const uint64_t *pat)
{
    struct mtrr_state mine;

    mtrr_state_read(&mine);
    if (bsp_mtrrs.present && mine.present && mine.nvar == bsp_mtrrs.nvar &&
        mine.fixed_present == bsp_mtrrs.fixed_present)
        mtrr_state_write(&bsp_mtrrs, pat);
    else
        wrmsr(MSR_PAT, *pat);
}

static void mask_ioapic(paddr_t base)
{
    volatile uint32_t *io = (volatile uint32_t *)(uintptr_t)base;   /* identity, firmware tables */

    io[IOAPIC_REGSEL / 4] = IOAPIC_REG_VERSION;
    unsigned last = IOAPIC_VERSION_MAXREDIR(io[IOAPIC_WINDOW / 4]);
    for (unsigned e = 0; e <= last; e++) {
        io[IOAPIC_REGSEL / 4] = IOAPIC_REG_REDIR(e);
        io[IOAPIC_WINDOW / 4] |= IOAPIC_REDIR_MASKED;
    }
}

static void lapic_reset_state(void)
{
    static const struct { uint32_t reg; unsigned min_maxlvt; } lvts[] = {
        { LAPIC_LVT_TIMER, 0 }, { LAPIC_LVT_LINT0, 0 }, { LAPIC_LVT_LINT1, 0 }, { LAPIC_LVT_ERROR, 0 },
        { LAPIC_LVT_PERF, 4 }, { LAPIC_LVT_THERMAL, 5 }, { LAPIC_LVT_CMCI, 6 },
    };
    uint64_t base = rdmsr(MSR_APIC_BASE);

    if (!(base & APIC_BASE_EN))
        wrmsr(MSR_APIC_BASE, base |= APIC_BASE_EN);
    /* In the mode set before (the MP request's choice, or the firmware's). */
    const struct lapic_io io = lapic_io_identity();
    unsigned maxlvt = LAPIC_VERSION_MAXLVT(io.read(io.ctx, LAPIC_VERSION));
    for (size_t i = 0; i < ARRAY_LEN(lvts); i++)   /* registers past maxlvt do not exist */
        if (maxlvt >= lvts[i].min_maxlvt)
            io.write(io.ctx, lvts[i].reg, io.read(io.ctx, lvts[i].reg) | LAPIC_LVT_MASKED);
    io.write(io.ctx, LAPIC_TPR, 0);
    io.write(io.ctx, LAPIC_SVR, LAPIC_SVR_ENABLE | LAPIC_SPURIOUS_VECTOR);
}

void limine_machine_state(struct limine_boot *B)
{
    struct limine_handoff *h = B->handoff;
    const uint64_t nxe = (B->caps & PT_CAP_NX) ? EFER_NXE : 0;
    const uint64_t la57 = B->levels == 5 ? CR4_LA57 : 0;   /* limine_entry.S turned it on */

    cpu_cli();                          /* the firmware's IDT is no longer ours to take interrupts on */
    mtrr_state_read(&bsp_mtrrs);
    write_pat_and_mtrrs(&h->pat);       /* entries 0-3 as at power-on: the firmware's tables keep theirs */
    outb(PIC1_DATA, PIC_MASK_ALL);
    outb(PIC2_DATA, PIC_MASK_ALL);
    for (size_t i = 0; i < B->tables.nioapics; i++)
        mask_ioapic(B->tables.ioapics[i]);
    if (B->rules.strict_entry_state && !B->keep_iommu)   /* after the masking: nothing in flight */
        limine_iommu_disable(&B->tables);
    if (B->mp.resp)                     /* before the IPIs: their ICR format follows the mode */
        apic_mode_set(B->mp.x2apic);
    if (B->rules.strict_entry_state) {
        lapic_reset_state();
        h->cr0 = CR0_PE | CR0_ET | CR0_WP | CR0_PG;
        h->cr4 = CR4_PAE | la57;
        h->efer = (rdmsr(MSR_EFER) & EFER_LMA) | EFER_LME | nxe;
    } else {
        h->cr0 = read_cr0() | CR0_WP;
        h->cr4 = read_cr4() | la57;
        h->efer = rdmsr(MSR_EFER) | nxe;
    }
    h->rflags = RFLAGS_FIXED;
}

void limine_ap_cpu_setup(const struct limine_handoff *h)
{
    apic_mode_set(h->x2apic != 0);
    if (h->strict)
        lapic_reset_state();
    write_pat_and_mtrrs(&h->pat);
}
