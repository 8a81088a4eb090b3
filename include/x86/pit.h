/* The legacy 8254 PIT's channel 2 and the port that gates it (8254 data
 * sheet; the PC/AT wiring of port 0x61). Channel 2 is the one software can
 * start and stop (gate) and whose output it can poll, without interrupts. */
#ifndef PAGODA_X86_PIT_H
#define PAGODA_X86_PIT_H

#define PIT_CH2_DATA       0x42
#define PIT_COMMAND        0x43
#define PIT_CMD_CH2_MODE0  0xB0   /* channel 2, lobyte/hibyte, mode 0 (interrupt on terminal count) */
#define PIT_CMD_CH2_LATCH  0x80   /* channel 2, counter latch: the next two reads give the count then */
#define PIT_COUNT_MAX      0xFFFF
#define PORT_B             0x61   /* NMI status and control: PIT ch2 gate and output */
#define PORT_B_GATE2       0x01
#define PORT_B_SPEAKER     0x02

#endif
