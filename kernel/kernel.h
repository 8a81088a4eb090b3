/* Declarations shared by the kernel's files. The kernel never sees a UEFI
 * type: all it knows of the loader is struct bootinfo. */
#ifndef PAGODA_KERNEL_H
#define PAGODA_KERNEL_H

#include "bootinfo.h"
#include "cmdline.h"
#include "falloc.h"
#include "falloc_cache.h"
#include "pmem.h"
#include "pt.h"
#include "types.h"
#include "vrange.h"
#include "vslice.h"
#include "x86/vectors.h"

#define IST_DOUBLE_FAULT 1          /* TSS IST slot for #DF */
#define IST_STACK_SIZE   (16 * KiB)
#define GDT_KERNEL_CODE  0x08
#define GDT_KERNEL_DATA  0x10
#define GDT_TSS          0x18
#define GDT_ENTRIES      5          /* null, code, data, TSS (two slots) */

#define EXIT_PASS 0x10              /* isa-debug-exit: QEMU exits with (v << 1) | 1 = 33 */
#define EXIT_FAIL 0x11              /* ... = 35 */

/* Symbols from kernel/kernel.ld. */
extern char __kernel_start[], __kernel_end[], __text_start[], __text_end[];
extern char __rodata_start[], __rodata_end[], __data_start[], __data_end[];

struct tss {
    uint32_t reserved0;
    uint64_t rsp[3];
    uint64_t reserved1;
    uint64_t ist[7];
    uint64_t reserved2;
    uint16_t reserved3;
    uint16_t iomap_base;
} __attribute__((packed));

/* spinlock */
struct spinlock {
    volatile uint32_t locked;
};
static inline void spin_lock(struct spinlock *l)
{
    while (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE))
        while (__atomic_load_n(&l->locked, __ATOMIC_RELAXED))
            __asm__ volatile("pause");
}
static inline void spin_unlock(struct spinlock *l)
{
    __atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
}

/* What the last caught fault was (recorded by the trap handler when a
 * probe recovers). */
struct fault_record {
    uint64_t vector, error, rip, cr2;
    uint64_t count;
};

/* Per-CPU state; reached through GS base once set. */
/* One CPU's piece of the heap window (kernel/heap_slice.c), under its
 * struct cpu's mm_lock. */
struct heap_slice {
    vaddr_t base;            /* 0 until the CPU first maps in its slice */
    const uint64_t *table;   /* its pinned page table, through the HHDM */
    struct vslice pages;
    struct pt view;          /* the kernel pt, unable to allocate or free a table */
    uint64_t catch_ups;      /* times it ran out of room and took held pages back */
};

struct cpu {
    struct cpu *self;               /* at offset 0: %gs:0 gives the pointer */
    uint32_t index;
    uint32_t apic_id;
    uint64_t cr3;                   /* as read by the CPU itself once online */
    uint64_t pat;                   /* IA32_PAT as read by the CPU itself */
    uint32_t mtrr;                  /* enum mtrr_sync: how its MTRRs came to match */
    uint64_t work_seen;             /* last smp_call generation this CPU took */
    uint64_t work_done;             /* ... and finished */
    uint64_t tlb_acked;             /* last shootdown this CPU flushed for */
    uint64_t tlb_heap_gen;          /* heap-window unmaps its TLB is flushed of (tlb.c) */
    /* Its frame cache and heap slice: taken by this CPU, by a CPU unmapping
     * in its slice, or by one that locks every CPU's (mm.c). */
    struct spinlock mm_lock;
    struct falloc_cache frames;     /* free 4 KiB frames (mm.c; empty unless online) */
    struct heap_slice slice;
    uint64_t gdt[GDT_ENTRIES];
    struct tss tss;
    struct fault_record last_fault;
    uint8_t ist_stack[IST_STACK_SIZE] __attribute__((aligned(16)));
};

/* console.c: COM1 output is kept until console_start (all CPUs online) or
 * an alert; console_keep_loader_log puts the loader's lines first. */
void console_init(void);
void console_keep_loader_log(const struct bootinfo *bi);
void console_start(void);
void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Like kprintf, drawn to stand out on screen: faults and panics. */
void kalert(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
__attribute__((noreturn, format(printf, 1, 2))) void panic(const char *fmt, ...);

/* cpu.c: descriptor tables and per-CPU data */
void cpu_init_bsp(uint32_t apic_id);
void cpu_init_ap(struct cpu *c, uint32_t index, uint32_t apic_id);
struct cpu *this_cpu(void);

/* timer.c: TSC calibrated against the PIT */
void timer_calibrate(const struct bootinfo *bi);
void timer_report(void);                   /* the calibration's line, for the boot report */
uint64_t timer_us_to_ticks(uint64_t us);
uint64_t timer_ticks_to_us(uint64_t ticks);
uint64_t timer_ticks_to_ns(uint64_t ticks);
void timer_delay_us(uint64_t us);

/* apic.c: this CPU's local APIC */
struct lapic_io;
void apic_init_bsp(const struct bootinfo *bi);
void apic_init_this_cpu(void);
const struct lapic_io *apic_io(void);
uint32_t apic_id_this_cpu(void);
bool apic_is_x2apic(void);
void apic_eoi(void);
void apic_timer_calibrate(void);   /* LAPIC timer vs TSC, 0.5 ms; before the bring-up */
/* Sleep (HLT) until an interrupt or `us` microseconds; interrupts must be
 * allowed by the caller's context (IF is set during the wait). */
void apic_sleep_us(uint64_t us);
int apic_send_ipi_vector(uint32_t apic_id, uint8_t vector);
/* To every CPU but this one: only when smp_all_online() (it reaches every
 * APIC on the system). One IPI instead of one per CPU. */
int apic_broadcast_vector(uint8_t vector);

/* smp.c: AP bring-up and the table of online CPUs */
struct smp_options {
    bool serial;              /* pagoda.smp=serial: one AP at a time */
    bool withhold;            /* pagoda.smp.withhold=APIC: never send that CPU its SIPIs */
    uint32_t withhold_apic;   /* (tests the did-not-answer path) */
    bool late;                /* pagoda.smp.late=APIC: that CPU says alive only after the */
    uint32_t late_apic;       /* BSP's deadline (tests the answered-too-late path) */
    bool deaf;                /* pagoda.smp.deaf=APIC: that CPU goes online, then never */
    uint32_t deaf_apic;       /* answers again (tests the bounded cross-CPU waits) */
    bool init_delay_legacy;   /* pagoda.smp.init_delay=legacy: the SDM's 10 ms/200 us waits */
};
void smp_quiesce_firmware_aps(const struct bootinfo *bi);   /* INIT them early; picks the slots */
/* Returns the TSC when the last AP was online (or given up on). */
uint64_t smp_boot(const struct bootinfo *bi, const struct smp_options *opt);
unsigned smp_online_count(void);
/* Every CPU the firmware reported is online, none parked or skipped: then
 * every APIC on the system is an online CPU's, and an IPI to all but self
 * reaches exactly the other online CPUs. */
bool smp_all_online(void);
unsigned smp_cpu_count(void);              /* CPU indices in use: BSP + APs tried */
struct cpu *smp_cpu(unsigned index);       /* NULL if not online */
typedef void (*smp_fn)(void *arg);

/* smp_call.c: cross-CPU calls, the idle loop, bounded waits for other CPUs */
/* Run fn(arg) on every online CPU (the caller's too) and wait for all. */
void smp_call_all(smp_fn fn, void *arg);
void smp_ipi_others(uint8_t vector);         /* every other online CPU */
void smp_call_join(struct cpu *c);           /* an AP about to go online: no call pending */
__attribute__((noreturn)) void smp_idle(void);
/* Wait until answered(c, token) holds for every online CPU but the caller;
 * after timeout_us plus an allowance per online CPU, panic naming the CPUs
 * that did not `what`. */
typedef bool (*smp_answered)(const struct cpu *c, uint64_t token);
void smp_wait_all(smp_answered answered, uint64_t token, uint64_t timeout_us, const char *what);
#define SMP_LIST_CHARS 192   /* room for a report list of APIC IDs */
/* Append an APIC ID to a report list ("apic=1,5", "..." once full) of
 * capacity cap holding n characters; returns the new length. */
size_t smp_list_add(char *buf, size_t cap, size_t n, uint32_t apic_id);

/* mtrr.c: the BSP's MTRRs on every AP */
enum mtrr_sync { MTRR_MATCHED, MTRR_SYNCED, MTRR_MISMATCH };
void mtrr_save_bsp(void);
enum mtrr_sync mtrr_sync_ap(void);

/* tlb.c: shootdowns */
void tlb_flush_local(vaddr_t va, uint64_t len);
void tlb_shootdown(vaddr_t va, uint64_t len);   /* every other online CPU, one IPI round */
void tlb_handle_ipi(void);
uint64_t tlb_shootdowns_sent(void);             /* IPI rounds */
uint64_t tlb_ipis_sent(void);                   /* IPIs, all rounds */
/* Heap-window unmaps flushed lazily (the rule: docs/memory.md, "Shootdowns"). */
/* Flushed here; returns the heap generation this unmap made. */
uint64_t tlb_heap_unmapped(vaddr_t va, uint64_t len);
void tlb_heap_sync(void);           /* this CPU: catch up before using heap addresses */
/* Caller holds the kmem lock: every CPU caught up with every heap-window
 * unmap made before the call. */
void tlb_heap_purge(void);

/* trap.c: exceptions */
void trap_init(void);
void trap_load_idt(void);
extern bool trap_test_mode;          /* a fault then exits QEMU with EXIT_FAIL */

/* probe.S: memory accesses that report a fault instead of taking the kernel
 * down. They return 0, or 1 + the exception vector. */
uint64_t probe_read8(const volatile void *addr);
uint64_t probe_write8(volatile void *addr, uint8_t value);
bool trap_fixup(uint64_t *rip);     /* true if rip is a probe's faulting instruction */

/* mm.c: the kernel's memory manager, taken over from the loader */
struct kmem {
    struct pmem pm;
    struct falloc fa;
    struct pt pt;
    struct vrange_set vs;
    vaddr_t hhdm_base;       /* per boot: it depends on the paging levels */
    uint64_t hhdm_max_phys;  /* size of the direct map's window */
    uint64_t tsc_ready;      /* TSC when kmem_init returned: the timeline's mm_us */
};
extern struct kmem kmem;
/* The direct map's base, window and level count from the boot info; first
 * thing in kmain, before anything reaches physical memory. */
void kmem_set_layout(const struct bootinfo *bi);
void kmem_init(const struct bootinfo *bi);
void *phys_to_virt(paddr_t pa);
/* Thread-safe wrappers: one lock guards tracker, allocator, mapper and
 * virtual ranges; 4 KiB frames come from and go to this CPU's frame cache
 * first (its own lock). Locks never disable interrupts, and interrupt
 * handlers never take them, so a CPU waiting here still answers
 * shootdowns. kmem_totals books what the caches handed out by type (the
 * frames they hold count as usable); kmem_check drains every cache first. */
int kmem_alloc_frame(uint64_t size, enum pmem_type type, paddr_t *pa);
int kmem_free_frame(paddr_t pa, uint64_t size, enum pmem_type type);
void kmem_totals(uint64_t totals[PMEM_TYPE_COUNT]);
int kmem_alloc_stack(uint64_t size, vaddr_t *top, paddr_t *pa);
int kmem_map_fresh(paddr_t pa, uint64_t len, unsigned flags, vaddr_t *out);
/* Every CPU's TLB is flushed of it before that CPU can next reach it (heap
 * window: lazily, docs/memory.md "Shootdowns"; elsewhere: at once). */
int kmem_unmap(vaddr_t va, uint64_t len);
bool kmem_check(void);                      /* every structure checker + table walk */
bool kmem_pcpu_on(void);                    /* frame caches, slices and lazy heap flushes in use */
uint64_t kmem_lock_count(void);             /* times the global lock was taken so far */
int kmem_map_at(vaddr_t va, paddr_t pa, uint64_t len, unsigned flags);
int kmem_unmap_at(vaddr_t va, uint64_t len); /* flushes; the reservation stays */
int kmem_recursive_slot(bool on);            /* off: cleared and flushed everywhere */
/* For heap_slice.c, with the caller's mm_lock held: pin the page table of
 * [va, va + HEAP_SLICE_SIZE) (its physical address in *table) and copy the
 * kernel pt into *view; bring every CPU up to date with the heap window's
 * unmaps (and empty the shared quarantine). */
int kmem_pin_slice(vaddr_t va, paddr_t *table, struct pt *view);
void kmem_heap_catch_up(void);

/* heap_slice.c: per-CPU pieces of the heap window (docs/memory.md, "Per-CPU
 * heap slices"). Slice i is [HEAP_SLICES + i * HEAP_SLICE_SIZE, + size):
 * one page table's span, in the upper half of the heap window. */
#define HEAP_SLICES          (KHEAP_WINDOW + (KHEAP_WINDOW_END - KHEAP_WINDOW) / 2)
#define HEAP_SLICE_SIZE      (VSLICE_PAGES * PAGE_SIZE)
#define HEAP_SLICES_MAX      65536   /* 128 GiB; CPUs past it map in the shared part */
#define HEAP_SLICE_MAX_PAGES 16      /* longer fresh mappings take the shared part */
void heap_slices_init(unsigned count);   /* slices for CPU indices below count */
/* Map in c's slice (c is this CPU, holding its mm_lock): 0, or -E_NOMEM
 * when the slice has no room even after a catch-up, or cannot be set up
 * (the caller then maps in the shared part). */
int heap_slice_map(struct cpu *c, paddr_t pa, uint64_t len, unsigned flags, vaddr_t *out);
bool heap_slice_contains(vaddr_t va);    /* va lies in some CPU's slice */
bool heap_slice_is_cpus(vaddr_t va, const struct cpu *c);   /* ... in c's */
/* Unmap [va, va+len) inside one slice, every page of it mapped there by
 * heap_slice_map; takes the slice's CPU's mm_lock. -E_INVAL otherwise. */
int heap_slice_unmap(vaddr_t va, uint64_t len);
/* With every online CPU's mm_lock held: */
void heap_slices_release(void);          /* ... and every CPU caught up: held pages free */
bool heap_slices_check(void);            /* bookkeeping agrees with the tables */

/* ktable.c: tables sized at boot. ktable_alloc: a zeroed table of `count`
 * entries of `elem` bytes in kernel-data frames (a block of
 * ktable_block_size bytes), kept for good: per-CPU tables, slots, virtual
 * ranges. Panics when memory is short: nothing at boot can do without. */
uint64_t ktable_block_size(uint64_t bytes);
void *ktable_alloc(uint64_t count, uint64_t elem);

/* selftest.c */
struct check_result {
    unsigned passed, failed, skipped;
    char first_failure[64];
};
void selftest_run(const struct bootinfo *bi, bool test_mode, struct check_result *r);
/* `pagoda: result=...`, the last line of a boot; true if every check passed. */
bool selftest_verdict(const struct check_result *r);

void selftest_smp(const struct bootinfo *bi, bool test_mode, struct check_result *r);
void selftest_aspace(struct check_result *r);     /* aspace_check.c */
void selftest_ptaccess(struct check_result *r);   /* ptaccess_check.c */
void check_record(struct check_result *r, const char *name, bool ok, const char *detail);
/* A check that cannot prove anything here: `pagoda: check NAME=skipped reason=WHY`. */
void check_skip(struct check_result *r, const char *name, const char *reason);

/* crash.c: pagoda.crash=null|stack|ud, for the fault-reporting tests;
 * `early`: the call before the bring-up (pagoda.crash.early), else after. */
void crash_if_asked(const char *cmdline, bool early);

/* report.c. The kernel's TSC stamps of the boot's time line (the loader's
 * are in struct bootinfo): entry, the first INIT of the bring-up, every CPU
 * online. */
/* The kernel's steps up to every CPU online, on the TSC (the report's
 * timeline and phases lines). */
struct boot_stamps {
    uint64_t kernel_entry;
    uint64_t early;          /* console, boot info, GDT/TSS, IDT */
    uint64_t apic;           /* after kmem_init: the BSP's APIC, firmware APs stopped */
    uint64_t timer;          /* TSC frequency chosen */
    uint64_t apic_timer;     /* LAPIC timer calibrated */
    uint64_t bringup_start, all_online;
};
void report_boot(const struct bootinfo *bi, const struct boot_stamps *t);

/* qemu.c */
__attribute__((noreturn)) void qemu_exit(int code);
__attribute__((noreturn)) void halt_forever(void);

#endif
