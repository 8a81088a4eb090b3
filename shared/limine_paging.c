/* The paging mode a Limine kernel gets, from its paging-mode request and
 * the CPU (spec: "Paging Mode Feature", x86-64 values). Pure; API in
 * include/limine_proto.h.
 *
 * Spec facts: without a request the loader assumes mode = max = DEFAULT
 * (4-level) and min = MIN (4-level); request revision 0 means max = mode
 * and min = MIN; "the bootloader should always aim to pick [mode] unless
 * unavailable"; it "will refuse to boot" when no mode in [min, max] is
 * available. */
#include "limine_proto.h"

void limine_paging_ask_from(const struct limine_req *r, struct limine_paging_ask *ask)
{
    *ask = (struct limine_paging_ask){ 0 };
    if (r == NULL || r->kind != LIMINE_REQ_PAGING_MODE)
        return;
    ask->present = true;
    ask->revision = r->revision;
    ask->mode = limine_req_u64(r, offsetof(struct limine_paging_mode_req, mode));
    if (r->revision >= 1) {
        ask->max_mode = limine_req_u64(r, offsetof(struct limine_paging_mode_req, max_mode));
        ask->min_mode = limine_req_u64(r, offsetof(struct limine_paging_mode_req, min_mode));
    }
}

static bool cpu_has(uint64_t mode, bool cpu_la57)
{
    return mode == LIMINE_PAGING_4LVL || (mode == LIMINE_PAGING_5LVL && cpu_la57);
}

int limine_paging_decide(const struct limine_paging_ask *ask, bool cpu_la57, uint64_t *mode)
{
    uint64_t want = LIMINE_PAGING_4LVL, max = LIMINE_PAGING_4LVL, min = LIMINE_PAGING_4LVL;

    if (ask->present) {
        want = MIN(ask->mode, (uint64_t)LIMINE_PAGING_5LVL);
        max = ask->revision == 0 ? want : MIN(ask->max_mode, (uint64_t)LIMINE_PAGING_5LVL);
        min = ask->revision == 0 ? LIMINE_PAGING_4LVL : ask->min_mode;
    }
    if (want >= min && want <= max && cpu_has(want, cpu_la57)) {
        *mode = want;
        return 0;
    }
    for (uint64_t m = max + 1; m-- > min;) {   /* highest first; empty when min > max */
        if (cpu_has(m, cpu_la57)) {
            *mode = m;
            return 0;
        }
    }
    return -LIMINE_E_PAGING;
}
