/* Files on the volume BOOTX64.EFI was loaded from
 * (EFI_SIMPLE_FILE_SYSTEM_PROTOCOL on the loaded image's device): reading a
 * whole file, creating one empty and writing it. */
/* Results not checked here, and why: EFI_FILE_PROTOCOL.Close always returns
 * EFI_SUCCESS (UEFI 2.10, 13.5; written data is flushed before, by
 * fs_write_all), and FreePool fails only for a buffer AllocatePool did not
 * hand out. */
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

/* An older file is deleted first: EFI_FILE_PROTOCOL has no truncating open,
 * and a shorter write would leave its tail behind. */
EFI_STATUS fs_create_file(EFI_HANDLE image, const CHAR16 *path, EFI_FILE_HANDLE *out)
{
    EFI_FILE_HANDLE root, old;
    EFI_STATUS st;

    st = open_volume(image, &root);
    if (EFI_ERROR(st))
        return st;
    st = uefi_call_wrapper(root->Open, 5, root, &old, (CHAR16 *)path,
                           EFI_FILE_MODE_READ | EFI_FILE_MODE_WRITE, 0);
    if (!EFI_ERROR(st)) {
        /* Delete closes the handle even when it fails (EFI_WARN_DELETE_FAILURE,
         * a warning): then the open below would reuse the old file and a
         * shorter write leave its tail behind, so that is a failure here. */
        if (uefi_call_wrapper(old->Delete, 1, old) != EFI_SUCCESS) {
            uefi_call_wrapper(root->Close, 1, root);
            return EFI_ACCESS_DENIED;
        }
    }
    st = uefi_call_wrapper(root->Open, 5, root, out, (CHAR16 *)path,
                           EFI_FILE_MODE_READ | EFI_FILE_MODE_WRITE | EFI_FILE_MODE_CREATE, 0);
    uefi_call_wrapper(root->Close, 1, root);
    return st;
}

EFI_STATUS fs_write_all(EFI_FILE_HANDLE f, const void *data, UINTN size)
{
    UINTN n = size;
    EFI_STATUS st = uefi_call_wrapper(f->Write, 3, f, &n, (void *)data);

    if (!EFI_ERROR(st) && n != size)
        st = EFI_VOLUME_FULL;
    if (!EFI_ERROR(st))
        st = uefi_call_wrapper(f->Flush, 1, f);
    return st;
}
