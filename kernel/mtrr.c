/* MTRRs: every CPU must describe memory types the same way (SDM Vol. 3A
 * 12.11.8). The BSP's MTRRs are the reference; each AP compares its own
 * with them and, when they differ, reprograms them with the SDM's sequence
 * (x86/mtrr.h, shared with the loader's Limine APs). Firmware normally
 * leaves them equal; this makes it a checked fact. */
#include "kernel.h"
#include "x86/cpu.h"
#include "x86/mtrr.h"

static struct mtrr_state bsp_state;

void mtrr_save_bsp(void)
{
    mtrr_state_read(&bsp_state);
}

/* On an AP: make its MTRRs the BSP's. Returns MTRR_MATCHED (already equal),
 * MTRR_SYNCED (reprogrammed and now equal) or MTRR_MISMATCH. */
enum mtrr_sync mtrr_sync_ap(void)
{
    struct mtrr_state mine;

    mtrr_state_read(&mine);
    if (mtrr_state_equal(&mine, &bsp_state))
        return MTRR_MATCHED;
    if (mine.present && bsp_state.present && mine.nvar == bsp_state.nvar &&
        mine.fixed_present == bsp_state.fixed_present) {
        mtrr_state_write(&bsp_state, NULL);   /* interrupts are off: ap_main runs before STI */
        mtrr_state_read(&mine);
        if (mtrr_state_equal(&mine, &bsp_state))
            return MTRR_SYNCED;
    }
    return MTRR_MISMATCH;
}
