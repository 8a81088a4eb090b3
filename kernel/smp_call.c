/* Cross-CPU calls and the waits for other CPUs. smp_call_all runs a
 * function on every online CPU; idle APs sleep in smp_idle until an IPI
 * brings work. Every wait for other CPUs here ends: a CPU that does not
 * answer in time is named and the kernel stops, since a missed call or TLB
 * shootdown leaves nothing safe to do. Each CPU records in its struct cpu
 * which call it took (work_seen) and finished (work_done), so the report
 * can say who. Every call starts with tlb_heap_sync on each CPU: a call is
 * how heap-window addresses reach other CPUs (kernel/tlb.c). */
#include <string.h>

#include "fmt.h"
#include "kernel.h"
#include "x86/cpu.h"

/* Every CPU takes a call within the first bound (an IPI wakes it); the
 * function itself (the self-checks' stress run) may take the second. */
#define CALL_TAKE_TIMEOUT_US  2000000
#define CALL_DONE_TIMEOUT_US  120000000
/* Every bound grows by this much per online CPU: they exist to name a dead
 * CPU, not to time a live one, and under emulation each vCPU is a host
 * thread that must be scheduled to answer (288 vCPUs on 2 loaded host
 * cores left 13 short of a flat 5 s shootdown bound). */
#define WAIT_PER_CPU_US       100000
#define LIST_ELLIPSIS         "..."

/* The call in flight: a generation counter; idle CPUs run the function when
 * they see a newer generation. Only one CPU calls at a time. */
static struct {
    smp_fn fn;
    void *arg;
    volatile uint64_t generation;
} work;

size_t smp_list_add(char *buf, size_t cap, size_t n, uint32_t apic_id)
{
    size_t room = cap - sizeof(LIST_ELLIPSIS);

    if (n >= room)
        return n;   /* already ends in "..." */
    n += (size_t)fmt_snprintf(buf + n, cap - n, "%s%u", n ? "," : "apic=", apic_id);
    if (n >= room) {
        memcpy(buf + room, LIST_ELLIPSIS, sizeof(LIST_ELLIPSIS));
        n = room;
    }
    return n;
}

static bool all_answered(smp_answered answered, uint64_t token)
{
    const struct cpu *me = this_cpu();
    for (unsigned i = 0; i < smp_cpu_count(); i++) {
        const struct cpu *c = smp_cpu(i);
        if (c && c != me && !answered(c, token))
            return false;
    }
    return true;
}

static __attribute__((noreturn)) void report_silent(smp_answered answered, uint64_t token,
                                                    uint64_t timeout_us, const char *what)
{
    const struct cpu *me = this_cpu();
    char silent[SMP_LIST_CHARS];
    size_t n = 0;

    silent[0] = '\0';
    for (unsigned i = 0; i < smp_cpu_count(); i++) {
        const struct cpu *c = smp_cpu(i);
        if (c && c != me && !answered(c, token))
            n = smp_list_add(silent, sizeof(silent), n, c->apic_id);
    }
    panic("smp: cpus %s did not %s within %lu ms", silent, what, (unsigned long)(timeout_us / 1000));
}

void smp_wait_all(smp_answered answered, uint64_t token, uint64_t timeout_us, const char *what)
{
    timeout_us += WAIT_PER_CPU_US * smp_online_count();
    uint64_t deadline = rdtsc() + timer_us_to_ticks(timeout_us);

    while (!all_answered(answered, token)) {
        if (rdtsc() >= deadline)
            report_silent(answered, token, timeout_us, what);
        cpu_pause();
    }
}

/* Run pending cross-CPU work; called by idle CPUs after every wake-up. */
static void handle_wakeup(void)
{
    struct cpu *c = this_cpu();
    uint64_t gen = __atomic_load_n(&work.generation, __ATOMIC_ACQUIRE);

    if (gen == c->work_seen)
        return;
    __atomic_store_n(&c->work_seen, gen, __ATOMIC_RELEASE);
    tlb_heap_sync();   /* the call may hand this CPU heap addresses */
    work.fn(work.arg);
    __atomic_store_n(&c->work_done, gen, __ATOMIC_RELEASE);
}

static bool took_call(const struct cpu *c, uint64_t gen)
{
    return __atomic_load_n(&c->work_seen, __ATOMIC_ACQUIRE) == gen;
}

static bool finished_call(const struct cpu *c, uint64_t gen)
{
    return __atomic_load_n(&c->work_done, __ATOMIC_ACQUIRE) == gen;
}

/* One IPI to all but self when every APIC on the system is an online
 * CPU's (Linux takes its IPI shorthands under the same condition: every
 * present CPU online); else one per online CPU. Under TCG one IPI costs
 * 30-80 us with 128 vCPUs (measured: 127 of them took 3-10 ms). */
void smp_ipi_others(uint8_t vector)
{
    const struct cpu *me = this_cpu();
    int rc;

    if (smp_all_online()) {
        if ((rc = apic_broadcast_vector(vector)) != 0)
            panic("smp: IPI 0x%x to all other CPUs failed (%d)", vector, rc);
        return;
    }
    for (unsigned i = 0; i < smp_cpu_count(); i++) {
        const struct cpu *c = smp_cpu(i);
        if (c && c != me && (rc = apic_send_ipi_vector(c->apic_id, vector)) != 0)
            panic("smp: IPI 0x%x to cpu apic=%u failed (%d)", vector, c->apic_id, rc);
    }
}

void smp_call_all(smp_fn fn, void *arg)
{
    struct cpu *me = this_cpu();

    work.fn = fn;
    work.arg = arg;
    uint64_t gen = __atomic_add_fetch(&work.generation, 1, __ATOMIC_RELEASE);
    smp_ipi_others(VEC_WAKEUP);
    me->work_seen = gen;
    tlb_heap_sync();
    fn(arg);
    me->work_done = gen;
    smp_wait_all(took_call, gen, CALL_TAKE_TIMEOUT_US, "take a cross-CPU call");
    smp_wait_all(finished_call, gen, CALL_DONE_TIMEOUT_US, "finish a cross-CPU call");
}

/* Run on the AP itself (c is this CPU): no call pending, and its TLB
 * caught up on the heap window before it can be sent any heap address. */
void smp_call_join(struct cpu *c)
{
    c->work_seen = c->work_done = __atomic_load_n(&work.generation, __ATOMIC_ACQUIRE);
    tlb_heap_sync();
}

/* Sleep until an IPI, then look for work. STI takes effect after the next
 * instruction, so no wake-up is lost between the check and the HLT. */
void smp_idle(void)
{
    for (;;) {
        __asm__ volatile("cli");
        if (__atomic_load_n(&work.generation, __ATOMIC_ACQUIRE) != this_cpu()->work_seen) {
            __asm__ volatile("sti");
            handle_wakeup();
            continue;
        }
        __asm__ volatile("sti; hlt");
    }
}
