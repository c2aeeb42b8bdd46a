/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Headers whose declarations dm-crypt-rs needs beyond `kernel::bindings`.
 *
 * bindgen runs over this file at build time with the kernel's own flags (see Kbuild) and the
 * allowlist in bindgen_parameters; every type it does not allowlist resolves against the
 * kernel crate's bindings, so `struct bio` and friends exist once.
 */
#include <linux/device-mapper.h>
#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/mempool.h>
#include <linux/workqueue.h>
#include <linux/scatterlist.h>
#include <crypto/skcipher.h>
#include <crypto/aead.h>
#include <crypto/aes.h>
#include <crypto/aes-xts.h>
#include <crypto/hash.h>
#include <linux/bio-integrity.h>
#include <linux/blk-integrity.h>
#include <linux/random.h>
#include <linux/kthread.h>
#include <linux/sched.h>
#include <keys/user-type.h>
#include <keys/encrypted-type.h>
#include <keys/trusted-type.h>

/* Macros bindgen cannot evaluate, exported as constants. */
const gfp_t DMC_CONST_HELPER_GFP_NOIO = GFP_NOIO;
const gfp_t DMC_CONST_HELPER_GFP_NOWAIT = GFP_NOWAIT;
const gfp_t DMC_CONST_HELPER_GFP_ATOMIC = GFP_ATOMIC;
const gfp_t DMC_CONST_HELPER___GFP_NORETRY = __GFP_NORETRY;
const gfp_t DMC_CONST_HELPER___GFP_NOWARN = __GFP_NOWARN;
const gfp_t DMC_CONST_HELPER___GFP_NOMEMALLOC = __GFP_NOMEMALLOC;
const gfp_t DMC_CONST_HELPER___GFP_HIGHMEM = __GFP_HIGHMEM;
const gfp_t DMC_CONST_HELPER___GFP_DIRECT_RECLAIM = __GFP_DIRECT_RECLAIM;
const gfp_t DMC_CONST_HELPER___GFP_COMP = __GFP_COMP;

const blk_status_t DMC_CONST_HELPER_BLK_STS_OK = BLK_STS_OK;
const blk_status_t DMC_CONST_HELPER_BLK_STS_IOERR = BLK_STS_IOERR;
const blk_status_t DMC_CONST_HELPER_BLK_STS_RESOURCE = BLK_STS_RESOURCE;
const blk_status_t DMC_CONST_HELPER_BLK_STS_DEV_RESOURCE = BLK_STS_DEV_RESOURCE;
const blk_status_t DMC_CONST_HELPER_BLK_STS_PROTECTION = BLK_STS_PROTECTION;
const unsigned int DMC_CONST_HELPER_KMALLOC_MAX_SIZE = KMALLOC_MAX_SIZE;
const blk_opf_t DMC_CONST_HELPER_REQ_OP_MASK = REQ_OP_MASK;
const blk_opf_t DMC_CONST_HELPER_REQ_PREFLUSH = REQ_PREFLUSH;
const blk_opf_t DMC_CONST_HELPER_REQ_ATOMIC = REQ_ATOMIC;
const u32 DMC_CONST_HELPER_CRYPTO_ALG_ALLOCATES_MEMORY = CRYPTO_ALG_ALLOCATES_MEMORY;
const u32 DMC_CONST_HELPER_CRYPTO_TFM_REQ_MAY_BACKLOG = CRYPTO_TFM_REQ_MAY_BACKLOG;
const size_t DMC_CONST_HELPER_CRYPTO_MINALIGN = CRYPTO_MINALIGN;
const int DMC_CONST_HELPER_NUMA_NO_NODE = NUMA_NO_NODE;
const int DMC_CONST_HELPER_MIN_NICE = MIN_NICE;
