/* Reading whole files from the volume BOOTX64.EFI was loaded from
 * (EFI_SIMPLE_FILE_SYSTEM_PROTOCOL on the loaded image's device). */
#include "loader.h"

#define FILE_MAX_BYTES (256ULL * MiB)  /* no kernel or config file is bigger */

static EFI_STATUS open_volume(EFI_HANDLE image, EFI_FILE_HANDLE *root)
{
    EFI_LOADED_IMAGE *li;
    EFI_FILE_IO_INTERFACE *fs;
    EFI_STATUS st;

    st = uefi_call_wrapper(BS->HandleProtocol, 3, image, &LoadedImageProtocol, (void **)&li);
    if (EFI_ERROR(st))
        return st;
    st = uefi_call_wrapper(BS->HandleProtocol, 3, li->DeviceHandle, &FileSystemProtocol,
                           (void **)&fs);
    if (EFI_ERROR(st))
        return st;
    return uefi_call_wrapper(fs->OpenVolume, 2, fs, root);
}

static EFI_STATUS file_size(EFI_FILE_HANDLE f, UINTN *size)
{
    EFI_FILE_INFO *info = LibFileInfo(f);

    if (!info)
        return EFI_DEVICE_ERROR;
    *size = info->FileSize;
    bool is_dir = (info->Attribute & EFI_FILE_DIRECTORY) != 0;
    uefi_call_wrapper(BS->FreePool, 1, info);
    return is_dir ? EFI_INVALID_PARAMETER : EFI_SUCCESS;
}

/* On success *data is EfiLoaderData pool memory of *size bytes (the caller
 * frees it). Errors: EFI_NOT_FOUND (no such file), EFI_INVALID_PARAMETER
 * (a directory), EFI_BAD_BUFFER_SIZE (absurdly large), EFI_VOLUME_CORRUPTED
 * (short read). A zero-length file succeeds with *size == 0. */
EFI_STATUS fs_read_file(EFI_HANDLE image, const CHAR16 *path, void **data, UINTN *size)
{
    EFI_FILE_HANDLE root, f;
    EFI_STATUS st;
    UINTN got;

    *data = NULL;
    *size = 0;
    st = open_volume(image, &root);
    if (EFI_ERROR(st))
        return st;
    st = uefi_call_wrapper(root->Open, 5, root, &f, (CHAR16 *)path, EFI_FILE_MODE_READ, 0);
    uefi_call_wrapper(root->Close, 1, root);
    if (EFI_ERROR(st))
        return st;

    st = file_size(f, size);
    if (!EFI_ERROR(st) && *size > FILE_MAX_BYTES)
        st = EFI_BAD_BUFFER_SIZE;
    if (!EFI_ERROR(st))
        st = uefi_call_wrapper(BS->AllocatePool, 3, EfiLoaderData, *size ? *size : 1, data);
    if (!EFI_ERROR(st)) {
        got = *size;
        st = uefi_call_wrapper(f->Read, 3, f, &got, *data);
        if (!EFI_ERROR(st) && got != *size)
            st = EFI_VOLUME_CORRUPTED;
        if (EFI_ERROR(st)) {
            uefi_call_wrapper(BS->FreePool, 1, *data);
            *data = NULL;
        }
    }
    uefi_call_wrapper(f->Close, 1, f);
    return st;
}
