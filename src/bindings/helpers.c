// SPDX-License-Identifier: GPL-2.0
/*
 * C helpers for dm-crypt-rs: static inline functions and macros that Rust cannot call, and
 * the module parameters, which must be declared with C macros to be writable and in sysfs.
 *
 * Every function here is called from Rust only; bindgen reads this file to declare them, with
 * the dmc_helper_ prefix stripped (see Kbuild).
 */

#include <linux/device-mapper.h>
#include "dm-audit.h"
#include <linux/moduleparam.h>
#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/mempool.h>
#include <linux/workqueue.h>
#include <linux/scatterlist.h>
#include <crypto/skcipher.h>
#include <crypto/aead.h>
#include <crypto/hash.h>
#include <linux/blk-integrity.h>
#include <linux/string.h>
#include <linux/sysfs.h>
#include <linux/key.h>
#include <linux/highmem.h>
#include <keys/user-type.h>

/* Module parameters. */

static char target_name[16] = "crypt";
module_param_string(target_name, target_name, sizeof(target_name), 0444);
MODULE_PARM_DESC(target_name,
		 "Name under which the target registers (default \"crypt\"); another name lets it run beside the C dm-crypt");

const char *dmc_helper_param_target_name(void)
{
	return target_name;
}

/* Audit records (static inlines of dm-audit.h; no-ops without CONFIG_DM_AUDIT). */

void dmc_helper_dm_audit_log_ctr(const char *prefix, struct dm_target *ti, int result)
{
	dm_audit_log_ctr(prefix, ti, result);
}

void dmc_helper_dm_audit_log_dtr(const char *prefix, struct dm_target *ti, int result)
{
	dm_audit_log_dtr(prefix, ti, result);
}

void dmc_helper_dm_audit_log_bio(const char *prefix, const char *op, struct bio *bio,
				 sector_t sector, int result)
{
	dm_audit_log_bio(prefix, op, bio, sector, result);
}

/* Execution context (macros), all three at once: the bits of dmc_helper_context(). */

#define DMC_CONTEXT_HARDIRQ 1U
#define DMC_CONTEXT_INTERRUPT 2U
#define DMC_CONTEXT_IRQS_DISABLED 4U

unsigned int dmc_helper_context(void)
{
	return (in_hardirq() ? DMC_CONTEXT_HARDIRQ : 0) |
	       (in_interrupt() ? DMC_CONTEXT_INTERRUPT : 0) |
	       (irqs_disabled() ? DMC_CONTEXT_IRQS_DISABLED : 0);
}

/* The current task (macros). */

void dmc_helper_set_current_state_interruptible(void)
{
	set_current_state(TASK_INTERRUPTIBLE);
}

void dmc_helper_set_current_state_running(void)
{
	__set_current_state(TASK_RUNNING);
}

void dmc_helper_cond_resched(void)
{
	cond_resched();
}

/* Pages. */

bool dmc_helper_page_is_large(struct page *page)
{
	return folio_test_large(page_folio(page));
}

unsigned long dmc_helper_page_nr_pages(struct page *page)
{
	return folio_nr_pages(page_folio(page));
}

unsigned long dmc_helper_totalram_pages(void)
{
	return totalram_pages();
}

void dmc_helper_put_page(struct page *page)
{
	put_page(page);
}

struct page *dmc_helper_virt_to_page(const void *addr)
{
	return virt_to_page(addr);
}

struct page *dmc_helper_zero_page(void)
{
	return ZERO_PAGE(0);
}

/* Crypto: skcipher inlines. */

bool dmc_helper_crypto_skcipher_is_async(struct crypto_skcipher *tfm)
{
	return crypto_skcipher_alg_common(tfm)->base.cra_flags & CRYPTO_ALG_ASYNC;
}

void dmc_helper_crypto_free_skcipher(struct crypto_skcipher *tfm)
{
	crypto_free_skcipher(tfm);
}

unsigned int dmc_helper_crypto_skcipher_ivsize(struct crypto_skcipher *tfm)
{
	return crypto_skcipher_ivsize(tfm);
}

unsigned int dmc_helper_crypto_skcipher_blocksize(struct crypto_skcipher *tfm)
{
	return crypto_skcipher_blocksize(tfm);
}

unsigned int dmc_helper_crypto_skcipher_alignmask(struct crypto_skcipher *tfm)
{
	return crypto_skcipher_alignmask(tfm);
}

unsigned int dmc_helper_crypto_skcipher_reqsize(struct crypto_skcipher *tfm)
{
	return crypto_skcipher_reqsize(tfm);
}

const char *dmc_helper_crypto_skcipher_driver_name(struct crypto_skcipher *tfm)
{
	return crypto_skcipher_driver_name(tfm);
}

struct crypto_tfm *dmc_helper_crypto_skcipher_tfm(struct crypto_skcipher *tfm)
{
	return crypto_skcipher_tfm(tfm);
}

void dmc_helper_crypto_init_wait(struct crypto_wait *wait)
{
	crypto_init_wait(wait);
}

int dmc_helper_crypto_wait_req(int err, struct crypto_wait *wait)
{
	return crypto_wait_req(err, wait);
}

/* Crypto: AEAD and hash inlines. */

bool dmc_helper_crypto_aead_is_async(struct crypto_aead *tfm)
{
	return crypto_aead_alg(tfm)->base.cra_flags & CRYPTO_ALG_ASYNC;
}

void dmc_helper_crypto_free_aead(struct crypto_aead *tfm)
{
	crypto_free_aead(tfm);
}

unsigned int dmc_helper_crypto_aead_ivsize(struct crypto_aead *tfm)
{
	return crypto_aead_ivsize(tfm);
}

unsigned int dmc_helper_crypto_aead_blocksize(struct crypto_aead *tfm)
{
	return crypto_aead_blocksize(tfm);
}

unsigned int dmc_helper_crypto_aead_alignmask(struct crypto_aead *tfm)
{
	return crypto_aead_alignmask(tfm);
}

unsigned int dmc_helper_crypto_aead_reqsize(struct crypto_aead *tfm)
{
	return crypto_aead_reqsize(tfm);
}

const char *dmc_helper_crypto_aead_driver_name(struct crypto_aead *tfm)
{
	return crypto_aead_driver_name(tfm);
}

void dmc_helper_aead_request_set_tfm(struct aead_request *req, struct crypto_aead *tfm)
{
	aead_request_set_tfm(req, tfm);
}

void dmc_helper_aead_request_set_callback(struct aead_request *req, u32 flags,
					  crypto_completion_t compl, void *data)
{
	aead_request_set_callback(req, flags, compl, data);
}

void dmc_helper_aead_request_set_crypt(struct aead_request *req, struct scatterlist *src,
				       struct scatterlist *dst, unsigned int cryptlen, u8 *iv)
{
	aead_request_set_crypt(req, src, dst, cryptlen, iv);
}

void dmc_helper_aead_request_set_ad(struct aead_request *req, unsigned int assoclen)
{
	aead_request_set_ad(req, assoclen);
}

unsigned int dmc_helper_crypto_ahash_digestsize(struct crypto_ahash *tfm)
{
	return crypto_ahash_digestsize(tfm);
}

void dmc_helper_crypto_free_ahash(struct crypto_ahash *tfm)
{
	crypto_free_ahash(tfm);
}

/* Scatterlists. */

void dmc_helper_sg_set_buf(struct scatterlist *sg, const void *buf, unsigned int buflen)
{
	sg_set_buf(sg, buf, buflen);
}

struct page *dmc_helper_sg_page(struct scatterlist *sg)
{
	return sg_page(sg);
}

/* A scatterlist of @nents entries, end-marked (kfree() frees it); NULL without memory. */
struct scatterlist *dmc_helper_sg_alloc(unsigned int nents, gfp_t gfp)
{
	struct scatterlist *sg = kmalloc_array(nents, sizeof(*sg), gfp);

	if (sg)
		sg_init_table(sg, nents);
	return sg;
}

/*
 * The crypto API's data-unit support: the proposed API (crypto_skcipher_set_data_unit_size
 * and the algorithm flag), which Linux 7.3 lacks and scripts/kernel-patches adds to the
 * "dataunit" test kernel. Detected here, at build time; without it no algorithm advertises
 * the flag, and setting a data-unit size fails.
 */
u32 dmc_helper_skcipher_multi_data_unit_flag(void)
{
#ifdef CRYPTO_ALG_SKCIPHER_MULTI_DATA_UNIT
	return CRYPTO_ALG_SKCIPHER_MULTI_DATA_UNIT;
#else
	return 0;
#endif
}

bool dmc_helper_skcipher_has_multi_data_unit(struct crypto_skcipher *tfm)
{
	u32 flag = dmc_helper_skcipher_multi_data_unit_flag();

	return flag && (crypto_skcipher_alg_common(tfm)->base.cra_flags & flag);
}

int dmc_helper_skcipher_set_data_unit_size(struct crypto_skcipher *tfm, unsigned int size)
{
#ifdef CRYPTO_ALG_SKCIPHER_MULTI_DATA_UNIT
	return crypto_skcipher_set_data_unit_size(tfm, size);
#else
	return -EOPNOTSUPP;
#endif
}

/* Bios. */

void dmc_helper_bio_set_dev(struct bio *bio, struct block_device *bdev)
{
	bio_set_dev(bio, bdev);
}

/*
 * Page @n of the physically contiguous pages from @page (bvec_iter_page's arithmetic, for a
 * bvec that spans pages). The bio iterators themselves are written out in Rust (src/bio.rs).
 */
struct page *dmc_helper_nth_page(struct page *page, unsigned int n)
{
	return page + n;
}

/* Block devices and queue limits. */

u8 dmc_helper_bdev_partno(struct block_device *bdev)
{
	return bdev_partno(bdev);
}

bool dmc_helper_bdev_is_zoned(struct block_device *bdev)
{
	return bdev_is_zoned(bdev);
}

struct blk_integrity *dmc_helper_bdev_get_integrity(struct block_device *bdev)
{
	return blk_get_integrity(bdev->bd_disk);
}

void dmc_helper_dm_stack_bs_limits(struct queue_limits *limits, unsigned int bs)
{
	dm_stack_bs_limits(limits, bs);
}

/* Memory. */

void *dmc_helper_mempool_alloc(mempool_t *pool, gfp_t gfp)
{
	return mempool_alloc(pool, gfp);
}

struct workqueue_struct *dmc_helper_alloc_workqueue(const char *name, unsigned int flags,
						    int max_active)
{
	return alloc_workqueue("%s", flags, max_active, name);
}

/* Keys. */

void dmc_helper_memzero_explicit(void *s, size_t count)
{
	memzero_explicit(s, count);
}

/*
 * Split sizes, as dm-crypt's parameters (0: the 128 KiB default; they can only lower it).
 * Global, so that Rust reads them in place (READ_ONCE) on every bio, as dm-crypt does, rather
 * than through a call.
 */
unsigned int dmc_param_max_read_size;
module_param_named(max_read_size, dmc_param_max_read_size, uint, 0644);
MODULE_PARM_DESC(max_read_size, "Maximum size of a read request");

unsigned int dmc_param_max_write_size;
module_param_named(max_write_size, dmc_param_max_write_size, uint, 0644);
MODULE_PARM_DESC(max_write_size, "Maximum size of a write request");

/* Test knob: the most pages one write fragment may take (0: no extra limit). */
unsigned int dmc_param_max_fragment_pages;
module_param_named(max_fragment_pages, dmc_param_max_fragment_pages, uint, 0644);
MODULE_PARM_DESC(max_fragment_pages, "Testing: limit the pages of one write fragment (0: none)");

/*
 * The multi-data-unit path for the tables loaded next: auto (where a backend is known to be
 * faster), off, lib (the AES-XTS library wherever a table allows it), api (the crypto API's
 * data-unit support). The order is the Rust side's `multi_du::Mode::ALL`.
 */
static const char * const multi_data_unit_names[] = { "auto", "off", "lib", "api" };
static int multi_data_unit;

static int multi_data_unit_set(const char *val, const struct kernel_param *kp)
{
	int i = sysfs_match_string(multi_data_unit_names, val);

	if (i < 0)
		return i;
	WRITE_ONCE(multi_data_unit, i);
	return 0;
}

static int multi_data_unit_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%s\n", multi_data_unit_names[READ_ONCE(multi_data_unit)]);
}

static const struct kernel_param_ops multi_data_unit_ops = {
	.set = multi_data_unit_set,
	.get = multi_data_unit_get,
};
module_param_cb(multi_data_unit, &multi_data_unit_ops, NULL, 0644);
MODULE_PARM_DESC(multi_data_unit,
		 "Multi-data-unit crypto path for tables loaded next: auto, off, lib or api (default auto)");

unsigned int dmc_helper_param_multi_data_unit(void)
{
	return READ_ONCE(multi_data_unit);
}

/*
 * How many conversions the multi-data-unit path's crypto API backend handed to the per-sector
 * path because its scatterlists could not be allocated (read-only; the tests read it).
 */
static atomic_long_t multi_data_unit_fallbacks;

static int multi_data_unit_fallbacks_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%ld\n", atomic_long_read(&multi_data_unit_fallbacks));
}

static const struct kernel_param_ops multi_data_unit_fallbacks_ops = {
	.get = multi_data_unit_fallbacks_get,
};
module_param_cb(multi_data_unit_fallbacks, &multi_data_unit_fallbacks_ops, NULL, 0444);
MODULE_PARM_DESC(multi_data_unit_fallbacks,
		 "Conversions the multi-data-unit path left to the per-sector path for lack of memory");

void dmc_helper_multi_data_unit_fallback(void)
{
	atomic_long_inc(&multi_data_unit_fallbacks);
}

unsigned int dmc_helper_num_online_cpus(void)
{
	return num_online_cpus();
}

struct key *dmc_helper_request_key(struct key_type *type, const char *description)
{
	return request_key(type, description, NULL);
}

const struct user_key_payload *dmc_helper_user_key_payload_locked(const struct key *key)
{
	return user_key_payload_locked(key);
}

void *dmc_helper_dereference_key_locked(struct key *key)
{
	return dereference_key_locked(key);
}
