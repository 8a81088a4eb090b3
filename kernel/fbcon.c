/* Framebuffer console: not drawn yet (placeholder until the PSF console
 * lands); every call is a no-op, as on a machine without a framebuffer. */
#include "fbcon.h"

void fbcon_init(const struct bootinfo *bi) { (void)bi; }
void fbcon_write(const char *s, enum fbcon_style style) { (void)s; (void)style; }
void fbcon_draw_memory_picture(const struct pmem *pm) { (void)pm; }
uint64_t fbcon_draw_ticks(void) { return 0; }
