/* EFI_MP_SERVICES_PROTOCOL, which gnu-efi 3.0.15 does not define.
 * From the UEFI Platform Initialization Specification 1.7, Vol. 2, 13.4
 * ("MP Services Protocol"). Only efi/ includes this file. */
#ifndef PAGODA_EFI_MP_H
#define PAGODA_EFI_MP_H

#include <efi.h>

#define EFI_MP_SERVICES_PROTOCOL_GUID \
    { 0x3fdda605, 0xa76e, 0x4f46, { 0xad, 0x29, 0x12, 0xf4, 0x53, 0x1b, 0x3d, 0x08 } }

/* StatusFlag bits of EFI_PROCESSOR_INFORMATION. */
#define PROCESSOR_AS_BSP_BIT        0x00000001
#define PROCESSOR_ENABLED_BIT       0x00000002
#define PROCESSOR_HEALTH_STATUS_BIT 0x00000004

/* Set in ProcessorNumber to ask GetProcessorInfo for ExtendedInformation
 * (PI 1.7). Pagoda does not ask, but the buffer has room for it: firmware
 * built against newer headers may assume the larger struct. */
#define CPU_V2_EXTENDED_TOPOLOGY (1U << 24)

typedef struct {
    UINT32 Package;
    UINT32 Core;
    UINT32 Thread;
} EFI_CPU_PHYSICAL_LOCATION;

typedef struct {
    UINT32 Package;
    UINT32 Die;
    UINT32 Tile;
    UINT32 Module;
    UINT32 Core;
    UINT32 Thread;
} EFI_CPU_PHYSICAL_LOCATION2;

typedef struct {
    UINT64 ProcessorId;   /* the local APIC ID on x86 */
    UINT32 StatusFlag;
    EFI_CPU_PHYSICAL_LOCATION Location;
    EFI_CPU_PHYSICAL_LOCATION2 ExtendedInformation;
} EFI_PROCESSOR_INFORMATION;

typedef struct _EFI_MP_SERVICES_PROTOCOL EFI_MP_SERVICES_PROTOCOL;
typedef VOID (EFIAPI *EFI_AP_PROCEDURE)(IN VOID *ProcedureArgument);

typedef EFI_STATUS (EFIAPI *EFI_MP_SERVICES_GET_NUMBER_OF_PROCESSORS)(
    IN EFI_MP_SERVICES_PROTOCOL *This, OUT UINTN *NumberOfProcessors,
    OUT UINTN *NumberOfEnabledProcessors);
typedef EFI_STATUS (EFIAPI *EFI_MP_SERVICES_GET_PROCESSOR_INFO)(
    IN EFI_MP_SERVICES_PROTOCOL *This, IN UINTN ProcessorNumber,
    OUT EFI_PROCESSOR_INFORMATION *ProcessorInfoBuffer);
typedef EFI_STATUS (EFIAPI *EFI_MP_SERVICES_STARTUP_ALL_APS)(
    IN EFI_MP_SERVICES_PROTOCOL *This, IN EFI_AP_PROCEDURE Procedure, IN BOOLEAN SingleThread,
    IN EFI_EVENT WaitEvent OPTIONAL, IN UINTN TimeoutInMicroSeconds,
    IN VOID *ProcedureArgument OPTIONAL, OUT UINTN **FailedCpuList OPTIONAL);
typedef EFI_STATUS (EFIAPI *EFI_MP_SERVICES_STARTUP_THIS_AP)(
    IN EFI_MP_SERVICES_PROTOCOL *This, IN EFI_AP_PROCEDURE Procedure, IN UINTN ProcessorNumber,
    IN EFI_EVENT WaitEvent OPTIONAL, IN UINTN TimeoutInMicroseconds,
    IN VOID *ProcedureArgument OPTIONAL, OUT BOOLEAN *Finished OPTIONAL);
typedef EFI_STATUS (EFIAPI *EFI_MP_SERVICES_SWITCH_BSP)(
    IN EFI_MP_SERVICES_PROTOCOL *This, IN UINTN ProcessorNumber, IN BOOLEAN EnableOldBSP);
typedef EFI_STATUS (EFIAPI *EFI_MP_SERVICES_ENABLEDISABLEAP)(
    IN EFI_MP_SERVICES_PROTOCOL *This, IN UINTN ProcessorNumber, IN BOOLEAN EnableAP,
    IN UINT32 *HealthFlag OPTIONAL);
typedef EFI_STATUS (EFIAPI *EFI_MP_SERVICES_WHOAMI)(
    IN EFI_MP_SERVICES_PROTOCOL *This, OUT UINTN *ProcessorNumber);

struct _EFI_MP_SERVICES_PROTOCOL {
    EFI_MP_SERVICES_GET_NUMBER_OF_PROCESSORS GetNumberOfProcessors;
    EFI_MP_SERVICES_GET_PROCESSOR_INFO GetProcessorInfo;
    EFI_MP_SERVICES_STARTUP_ALL_APS StartupAllAPs;
    EFI_MP_SERVICES_STARTUP_THIS_AP StartupThisAP;
    EFI_MP_SERVICES_SWITCH_BSP SwitchBSP;
    EFI_MP_SERVICES_ENABLEDISABLEAP EnableDisableAP;
    EFI_MP_SERVICES_WHOAMI WhoAmI;
};

#endif
