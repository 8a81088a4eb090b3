/* Self-check `aspace`: per-process address spaces, entered on every CPU.
 * One space per CPU index (at least two), each with its own user frame
 * mapped at a common address and at a private one. Every online CPU enters
 * its space and must read its own frame at both, read a kernel page mapped
 * after the spaces were made (the kernel half is shared), and fault on the
 * next space's private address; it then enters the next space, where the
 * common address must show that space's frame (the CR3 write dropped the
 * old translation), and returns to the kernel root, where the common address
 * must fault. The BSP then unmaps a page of a space it is in, which must
 * fault at once. Then every space is destroyed and the allocator's totals
 * must be exactly what they were before. */
#include "aspace_cpu.h"
#include "fmt.h"
#include "kernel.h"
#include "x86/cpu.h"

#define USER_COMMON_VA  0x0000000000400000ULL
#define USER_PRIVATE_VA(i) (USER_COMMON_VA + ((uint64_t)(i) + 1) * PAGE_SIZE)
#define TAG(i)          (0x5A00000000000000ULL | ((uint64_t)(i) << 8) | 0x40)
#define KERNEL_TAG      0x6B65726E656C2121ULL
#define VEC_PAGE_FAULT  14
#define SPACES_MIN      2

/* nspaces entries each, visits one per CPU index: sized from the CPU count
 * (ktable_alloc) before the check takes its totals. */
static struct uspace *spaces;
static paddr_t *user_frame;
static unsigned nspaces;
static vaddr_t kernel_late_va;

struct visit {
    uint64_t cr3;
    bool own_ok, kernel_ok, next_ok, gone_ok;
    uint64_t other_probe, other_cr2;
};
static struct visit *visits;

static bool faulted_at(uint64_t probe, vaddr_t va)
{
    return probe == 1 + VEC_PAGE_FAULT && this_cpu()->last_fault.cr2 == va;
}

static void visit_here(void *arg)
{
    unsigned me = this_cpu()->index, next = (me + 1) % nspaces;
    struct visit *v = &visits[me];
    (void)arg;

    uspace_enter(&spaces[me]);
    v->cr3 = read_cr3();
    v->own_ok = uspace_probe_read8(USER_COMMON_VA) == 0 && uspace_read64(USER_COMMON_VA) == TAG(me) &&
                uspace_probe_read8(USER_PRIVATE_VA(me)) == 0 &&
                uspace_read64(USER_PRIVATE_VA(me)) == TAG(me);
    v->kernel_ok = *(volatile uint64_t *)kernel_late_va == KERNEL_TAG;
    v->other_probe = uspace_probe_read8(USER_PRIVATE_VA(next));
    v->other_cr2 = this_cpu()->last_fault.cr2;

    uspace_enter(&spaces[next]);
    v->next_ok = uspace_probe_read8(USER_COMMON_VA) == 0 && uspace_read64(USER_COMMON_VA) == TAG(next);

    uspace_enter_kernel();
    v->gone_ok = faulted_at(uspace_probe_read8(USER_COMMON_VA), USER_COMMON_VA);
}

/* Space i: its frame (tagged) at the common and at its private address. */
static int make_space(unsigned i)
{
    int rc = kmem_alloc_frame(PAGE_SIZE, PMEM_KERNEL_HEAP, &user_frame[i]);
    if (rc)
        return rc;
    *(volatile uint64_t *)phys_to_virt(user_frame[i]) = TAG(i);
    if ((rc = uspace_create(&spaces[i])) != 0)
        return rc;
    rc = aspace_map(&spaces[i].as, USER_COMMON_VA, user_frame[i], PAGE_SIZE, PT_MAP_WRITE);
    if (rc == 0)
        rc = aspace_map(&spaces[i].as, USER_PRIVATE_VA(i), user_frame[i], PAGE_SIZE, 0);
    return rc;
}

/* The space's tables are exactly what its two pages need (pt_min_frames
 * counts them without building: root, PDPT, PD, one PT). */
static bool tables_minimal(unsigned i)
{
    const struct pt_mapping m[] = { { USER_COMMON_VA, user_frame[i], PAGE_SIZE, 0 },
                                    { USER_PRIVATE_VA(i), user_frame[i], PAGE_SIZE, 0 } };
    const struct pt *pt = &spaces[i].as.pt;
    return pt->frames_used == pt_min_frames(m, ARRAY_LEN(m), pt->levels, pt->caps);
}

/* Destroy every space and give back every frame; adds up the tables the
 * spaces held. */
static bool teardown(uint64_t *tables)
{
    bool ok = true;
    for (unsigned i = 0; i < nspaces; i++) {
        *tables += spaces[i].as.pt.frames_used;
        if (spaces[i].as.pt.root)
            ok = uspace_destroy(&spaces[i]) == 0 && ok;
        if (user_frame[i])
            ok = kmem_free_frame(user_frame[i], PAGE_SIZE, PMEM_KERNEL_HEAP) == 0 && ok;
    }
    return ok;
}

/* Each CPU's verdict; counts the CPUs whose probe of another space faulted. */
static bool visits_ok(unsigned *cpus, unsigned *faulted)
{
    bool ok = true;
    for (unsigned c = 0; c < smp_cpu_count(); c++) {
        if (!smp_cpu(c))
            continue;
        const struct visit *v = &visits[c];
        bool other = v->other_probe == 1 + VEC_PAGE_FAULT &&
                     v->other_cr2 == USER_PRIVATE_VA((c + 1) % nspaces);
        (*cpus)++;
        *faulted += other;
        ok = ok && other && v->own_ok && v->kernel_ok && v->next_ok && v->gone_ok &&
             (v->cr3 & ~CR3_PCID_MASK) == spaces[c].as.pt.root &&
             (v->cr3 & CR3_PCID_MASK) == spaces[c].pcid;
    }
    return ok;
}

/* On this CPU, inside space 0: its private page is read (and cached in the
 * TLB), then unmapped while the space stays loaded, and must fault at once;
 * destroying the space meanwhile is refused. */
static bool unmap_while_inside(void)
{
    const vaddr_t va = USER_PRIVATE_VA(0);
    uspace_enter(&spaces[0]);
    bool ok = uspace_probe_read8(va) == 0 && uspace_read64(va) == TAG(0) &&
              uspace_destroy(&spaces[0]) == -E_BUSY && uspace_unmap(&spaces[0], va, PAGE_SIZE) == 0 &&
              faulted_at(uspace_probe_read8(va), va) && uspace_read64(USER_COMMON_VA) == TAG(0);
    uspace_enter_kernel();
    return ok;
}

void selftest_aspace(struct check_result *r)
{
    uint64_t before[PMEM_TYPE_COUNT], after[PMEM_TYPE_COUNT];
    unsigned cpus = 0, faulted = 0;
    uint64_t tables = 0;
    paddr_t kpa = 0;
    bool unmapped = false;
    char detail[128];

    nspaces = MAX(SPACES_MIN, smp_cpu_count());
    spaces = ktable_alloc(nspaces, sizeof(*spaces));
    user_frame = ktable_alloc(nspaces, sizeof(*user_frame));
    visits = ktable_alloc(smp_cpu_count(), sizeof(*visits));
    kmem_totals(before);
    bool ok = true;
    for (unsigned i = 0; i < nspaces && ok; i++)
        ok = make_space(i) == 0 && tables_minimal(i);
    /* A kernel page mapped after the spaces exist: seen through the shared half. */
    ok = ok && kmem_alloc_frame(PAGE_SIZE, PMEM_KERNEL_HEAP, &kpa) == 0 &&
         kmem_map_fresh(kpa, PAGE_SIZE, PT_MAP_WRITE, &kernel_late_va) == 0;
    if (ok) {
        *(volatile uint64_t *)kernel_late_va = KERNEL_TAG;
        smp_call_all(visit_here, NULL);
        ok = visits_ok(&cpus, &faulted);
        unmapped = unmap_while_inside();
        ok = ok && unmapped;
    }
    if (kernel_late_va)
        ok = kmem_unmap(kernel_late_va, PAGE_SIZE) == 0 && ok;
    if (kpa)
        ok = kmem_free_frame(kpa, PAGE_SIZE, PMEM_KERNEL_HEAP) == 0 && ok;
    ok = teardown(&tables) && ok;
    kmem_totals(after);
    bool exact = true;
    for (int t = 0; t < PMEM_TYPE_COUNT; t++)
        exact = exact && before[t] == after[t];
    fmt_snprintf(detail, sizeof(detail),
                 "spaces=%u cpus=%u other_space_faulted=%u/%u unmap_inside=%s tables=%lu pcid=%s "
                 "totals=%s",
                 nspaces, cpus, faulted, cpus, unmapped ? "faulted" : "no", (unsigned long)tables,
                 uspace_pcid_on() ? "on" : "off", exact ? "exact" : "changed");
    check_record(r, "aspace", ok && exact, detail);
}
