/* uvmsim — basic scalar types shared by the public headers. */
#ifndef UVMSIM_TYPES_H
#define UVMSIM_TYPES_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#if defined(UVMSIM_SHARED_BUILD) && defined(__GNUC__)
#define UVMSIM_API __attribute__((visibility("default")))
#else
#define UVMSIM_API
#endif

typedef uint64_t uvmsim_paddr_t;   /* simulated physical address */
typedef uint64_t uvmsim_vaddr_t;   /* simulated virtual address */
typedef uint64_t uvmsim_off_t;     /* offset in an object / file */

/* Protection bits, as VM_PROT_* */
enum {
    UVMSIM_PROT_NONE = 0,
    UVMSIM_PROT_READ = 1,
    UVMSIM_PROT_WRITE = 2,
    UVMSIM_PROT_EXEC = 4,
    UVMSIM_PROT_ALL = 7
};
typedef unsigned uvmsim_prot_t;

/* Kind of CPU access; maps to the protection it needs. */
typedef enum uvmsim_access {
    UVMSIM_ACCESS_FETCH = 0,  /* instruction fetch: needs EXEC */
    UVMSIM_ACCESS_LOAD = 1,   /* data read: needs READ */
    UVMSIM_ACCESS_STORE = 2   /* data write: needs WRITE */
} uvmsim_access;

typedef struct uvmsim_machine uvmsim_machine;

#endif
