/* EFI_TCG2_PROTOCOL, declared from the TCG EFI Protocol Specification
 * (Family 2.0, rev. 1.22, section 6): gnu-efi 3.0.15 has no declaration.
 * Only what the loader calls; field order is the spec's. */
#ifndef PAGODA_EFI_TCG2_H
#define PAGODA_EFI_TCG2_H

#include <efi.h>

#define EFI_TCG2_PROTOCOL_GUID \
    { 0x607f766c, 0x7455, 0x42be, { 0x93, 0x0b, 0xe4, 0xd7, 0x6d, 0xb2, 0x72, 0x0f } }
/* The events logged after the first GetEventLog call (spec 7.1.1), an EFI
 * configuration table that survives ExitBootServices. */
#define EFI_TCG2_FINAL_EVENTS_TABLE_GUID \
    { 0x1e2ed096, 0x30e2, 0x4254, { 0xbd, 0x89, 0x86, 0x3b, 0xbe, 0xf8, 0x23, 0x25 } }

#define EFI_TCG2_EVENT_LOG_FORMAT_TCG_2 0x00000002   /* crypto agile (TCG_PCR_EVENT2) */
#define EFI_TCG2_EVENT_HEADER_VERSION   1

typedef struct _EFI_TCG2_PROTOCOL EFI_TCG2_PROTOCOL;

#pragma pack(push, 1)
typedef struct {
    UINT32 HeaderSize;            /* sizeof(EFI_TCG2_EVENT_HEADER) */
    UINT16 HeaderVersion;         /* EFI_TCG2_EVENT_HEADER_VERSION */
    UINT32 PCRIndex;
    UINT32 EventType;
} EFI_TCG2_EVENT_HEADER;

typedef struct {
    UINT32 Size;                  /* the whole structure, Event[] included */
    EFI_TCG2_EVENT_HEADER Header;
    UINT8 Event[];
} EFI_TCG2_EVENT;
#pragma pack(pop)

typedef EFI_STATUS (EFIAPI *EFI_TCG2_GET_CAPABILITY)(EFI_TCG2_PROTOCOL *This, void *Capability);
typedef EFI_STATUS (EFIAPI *EFI_TCG2_GET_EVENT_LOG)(EFI_TCG2_PROTOCOL *This, UINT32 EventLogFormat,
                                                    EFI_PHYSICAL_ADDRESS *EventLogLocation,
                                                    EFI_PHYSICAL_ADDRESS *EventLogLastEntry,
                                                    BOOLEAN *EventLogTruncated);
typedef EFI_STATUS (EFIAPI *EFI_TCG2_HASH_LOG_EXTEND_EVENT)(EFI_TCG2_PROTOCOL *This, UINT64 Flags,
                                                            EFI_PHYSICAL_ADDRESS DataToHash,
                                                            UINT64 DataToHashLen, EFI_TCG2_EVENT *EfiTcgEvent);
typedef EFI_STATUS (EFIAPI *EFI_TCG2_SUBMIT_COMMAND)(EFI_TCG2_PROTOCOL *This, UINT32 InputParameterBlockSize,
                                                     UINT8 *InputParameterBlock, UINT32 OutputParameterBlockSize,
                                                     UINT8 *OutputParameterBlock);

struct _EFI_TCG2_PROTOCOL {
    EFI_TCG2_GET_CAPABILITY GetCapability;
    EFI_TCG2_GET_EVENT_LOG GetEventLog;
    EFI_TCG2_HASH_LOG_EXTEND_EVENT HashLogExtendEvent;
    EFI_TCG2_SUBMIT_COMMAND SubmitCommand;
    void *GetActivePcrBanks;
    void *SetActivePcrBanks;
    void *GetResultOfSetActivePcrBanks;
};

#endif
