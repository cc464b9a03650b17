/* The two loops over pairs of random-effect columns that share a level of the first term.
 *
 * For crossed factors the dense block S of the factor (the later terms' columns, after
 * the first term is eliminated) receives, from every level j of the first term, a
 * product over the pairs of later columns that level's rows touch: users rate items,
 * and every pair of items one user rated meets in S. The work is sum_j n_j^2 for n_j
 * columns per level, a scatter into S that numpy can only express as gathers and
 * bincounts over arrays of all the pairs (five times slower here, and as much memory
 * as the pairs). These two kernels are those loops and nothing else; the algebra
 * around them is in sparselmm/solvers/blocked.py.
 *
 * A level-blocked matrix (the layout both take): level j owns the entries
 * ptr[j] .. ptr[j+1] - 1; entry e sits in column idx[e] of S (ascending within a
 * level; checked where the layout is built) and carries k values V[e*k .. e*k + k - 1]
 * (one per column of the first term's template). S is q x q, C-ordered; only its
 * lower triangle is read or written (row >= column).
 *
 * Each call may split its work over two threads: level_products by levels (each
 * level writes only its own outputs), level_syrk by rows of S (each thread writes
 * only its rows). The GIL is released meanwhile.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    Py_buffer view;
    int held;
} Buffer;

static void release(Buffer *b) {
    if (b->held) {
        PyBuffer_Release(&b->view);
        b->held = 0;
    }
}

/* A C-contiguous buffer of `count` items of `itemsize` bytes (count < 0: any count). */
static int take(PyObject *object, Buffer *b, Py_ssize_t itemsize, Py_ssize_t count, int writable,
                const char *name) {
    int flags = PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | (writable ? PyBUF_WRITABLE : 0);
    if (PyObject_GetBuffer(object, &b->view, flags) != 0) {
        PyErr_Format(PyExc_TypeError, "%s must be a C-contiguous%s array", name, writable ? " writable" : "");
        return -1;
    }
    b->held = 1;
    if (b->view.itemsize != itemsize) {
        PyErr_Format(PyExc_TypeError, "%s must hold %zd-byte items, not %zd-byte", name, itemsize,
                     b->view.itemsize);
        return -1;
    }
    Py_ssize_t items = b->view.len / itemsize;
    if (count >= 0 && items != count) {
        PyErr_Format(PyExc_ValueError, "%s must have %zd items, not %zd", name, count, items);
        return -1;
    }
    return 0;
}

/* Check the layout's pointers: non-decreasing from 0 to the entry count. */
static int check_layout(const int64_t *ptr, Py_ssize_t levels, Py_ssize_t entries) {
    if (ptr[0] != 0 || ptr[levels] != entries) {
        PyErr_SetString(PyExc_ValueError, "ptr must start at 0 and end at the number of entries");
        return -1;
    }
    for (Py_ssize_t j = 0; j < levels; j++) {
        if (ptr[j + 1] < ptr[j]) {
            PyErr_SetString(PyExc_ValueError, "ptr must be non-decreasing");
            return -1;
        }
    }
    return 0;
}

/* Work shared by both kernels. */
typedef struct {
    const int64_t *ptr;
    const int32_t *idx;
    const double *V;   /* V (syrk) or U (products), entries x k */
    const double *P;   /* P (products), W (syrk) */
    double *S;         /* S (syrk) */
    double *Y, *X;     /* outputs (products) */
    int64_t k, q;
    int64_t level_lo, level_hi; /* products: levels of this part */
    int64_t row_lo, row_hi;     /* syrk: rows of S of this part */
} Part;

/* ------------------------------------------------------------------ level_syrk */

/* S -= V_j' V_j on the rows of this part, with V_j = W_j C_j formed per level (C: entries x k, W: k x k). */
static void syrk_part(const Part *w) {
    const int64_t *ptr = w->ptr, k = w->k, q = w->q;
    const int32_t *idx = w->idx;
    const double *C = w->V, *W = w->P;
    double *S = w->S;
    int64_t widest = 0;
    for (int64_t j = 0; j < w->level_hi; j++)
        if (ptr[j + 1] - ptr[j] > widest) widest = ptr[j + 1] - ptr[j];
    double *V = widest ? malloc((size_t)(widest * k) * sizeof(double)) : NULL;
    if (widest && !V) return;
    for (int64_t j = 0; j < w->level_hi; j++) {
        int64_t start = ptr[j], stop = ptr[j + 1];
        const double *Wj = W + j * k * k;
        int64_t first = start; /* first entry whose row is this part's */
        while (first < stop && idx[first] < w->row_lo) first++;
        if (first == stop) continue;
        for (int64_t e = start; e < stop; e++)
            for (int64_t a = 0; a < k; a++) {
                double sum = 0.0;
                for (int64_t b = 0; b < k; b++) sum += Wj[a * k + b] * C[e * k + b];
                V[(e - start) * k + a] = sum;
            }
        for (int64_t a = first; a < stop; a++) {
            int64_t row = idx[a];
            if (row >= w->row_hi) break;
            double *Srow = S + row * q;
            const double *va = V + (a - start) * k;
            const double *Vj = V - start * k; /* Vj[b * k] is entry b's first value */
            if (k == 1) {
                double x = va[0];
                for (int64_t b = start; b <= a; b++) Srow[idx[b]] -= x * Vj[b];
            } else if (k == 2) {
                double x0 = va[0], x1 = va[1];
                for (int64_t b = start; b <= a; b++) Srow[idx[b]] -= x0 * Vj[2 * b] + x1 * Vj[2 * b + 1];
            } else {
                for (int64_t b = start; b <= a; b++) {
                    const double *vb = Vj + b * k;
                    double sum = 0.0;
                    for (int64_t r = 0; r < k; r++) sum += va[r] * vb[r];
                    Srow[idx[b]] -= sum;
                }
            }
        }
    }
    free(V);
}

static void *syrk_thread(void *arg) {
    syrk_part((const Part *)arg);
    return NULL;
}

/* ------------------------------------------------------------------ level_products */

/* Y_j = U_j P[I_j, I_j] one pair at a time: for levels too wide for a local copy of P[I_j, I_j]. */
static void products_pairs(const Part *w, int64_t start, int64_t stop) {
    const int64_t k = w->k, q = w->q;
    const int32_t *idx = w->idx;
    const double *U = w->V, *P = w->P;
    double *Y = w->Y;
    for (int64_t a = start; a < stop; a++) {
        const double *Prow = P + (int64_t)idx[a] * q; /* P[idx[a], idx[b]] for b <= a */
        const double *ua = U + a * k;
        double *ya = Y + a * k;
        double paa = Prow[idx[a]];
        for (int64_t r = 0; r < k; r++) ya[r] += ua[r] * paa;
        for (int64_t b = start; b < a; b++) {
            double p = Prow[idx[b]];
            const double *ub = U + b * k;
            double *yb = Y + b * k;
            for (int64_t r = 0; r < k; r++) {
                ya[r] += ub[r] * p;
                yb[r] += ua[r] * p;
            }
        }
    }
}

/* Y_j = U_j P[I_j, I_j] through a local dense copy of P[I_j, I_j] (n x n): contiguous, vectorisable. */
static void products_local(const Part *w, int64_t start, int64_t stop, double *local, double *rows) {
    const int64_t k = w->k, q = w->q, n = stop - start;
    const int32_t *idx = w->idx;
    const double *U = w->V, *P = w->P;
    double *Y = w->Y;
    for (int64_t a = 0; a < n; a++) {
        const double *Prow = P + (int64_t)idx[start + a] * q;
        double *La = local + a * n;
        for (int64_t b = 0; b <= a; b++) La[b] = Prow[idx[start + b]];
    }
    for (int64_t a = 0; a < n; a++)
        for (int64_t b = a + 1; b < n; b++) local[a * n + b] = local[b * n + a];
    /* rows[r * n + b] = sum_a U[a, r] local[a, b], then scattered back to Y's entry-major layout */
    memset(rows, 0, (size_t)(k * n) * sizeof(double));
    for (int64_t a = 0; a < n; a++) {
        const double *La = local + a * n;
        for (int64_t r = 0; r < k; r++) {
            double u = U[(start + a) * k + r];
            double *row = rows + r * n;
            for (int64_t b = 0; b < n; b++) row[b] += u * La[b];
        }
    }
    for (int64_t b = 0; b < n; b++)
        for (int64_t r = 0; r < k; r++) Y[(start + b) * k + r] = rows[r * n + b];
}

#define LOCAL_MAX 2048 /* widest level copied locally: 2048^2 doubles = 32 MB per thread */

static void products_part(const Part *w) {
    const int64_t *ptr = w->ptr, k = w->k;
    const double *U = w->V;
    double *Y = w->Y, *X = w->X;
    int64_t widest = 0;
    for (int64_t j = w->level_lo; j < w->level_hi; j++)
        if (ptr[j + 1] - ptr[j] > widest) widest = ptr[j + 1] - ptr[j];
    if (widest > LOCAL_MAX) widest = LOCAL_MAX;
    double *local = widest ? malloc((size_t)(widest * widest + k * widest) * sizeof(double)) : NULL;
    for (int64_t j = w->level_lo; j < w->level_hi; j++) {
        int64_t start = ptr[j], stop = ptr[j + 1];
        if (local && stop - start <= widest) {
            products_local(w, start, stop, local, local + widest * widest);
        } else {
            memset(Y + start * k, 0, (size_t)((stop - start) * k) * sizeof(double));
            products_pairs(w, start, stop);
        }
        double *Xj = X + j * k * k;
        memset(Xj, 0, (size_t)(k * k) * sizeof(double));
        for (int64_t a = start; a < stop; a++)
            for (int64_t r = 0; r < k; r++)
                for (int64_t c = 0; c < k; c++) Xj[r * k + c] += Y[a * k + r] * U[a * k + c];
    }
    free(local);
}

static void *products_thread(void *arg) {
    products_part((const Part *)arg);
    return NULL;
}

/* Run part[1] on a second thread when asked and possible, part[0] here; 0 on success. */
static void run_two(void (*run)(const Part *), void *(*thread)(void *), Part part[2], int threads) {
    pthread_t helper;
    int started = threads > 1 && pthread_create(&helper, NULL, thread, &part[1]) == 0;
    run(&part[0]);
    if (started)
        pthread_join(helper, NULL);
    else if (threads > 1)
        run(&part[1]);
}

static const char level_syrk_doc[] =
    "level_syrk(ptr, idx, C, W, k, S, q, split, threads)\n\n"
    "S[idx[a], idx[b]] -= sum_r V[a, r] V[b, r] for every pair a >= b of entries of one level, where\n"
    "V_j = W_j C_j: S minus the sum over levels of C_j' W_j' W_j C_j, on the lower triangle of the\n"
    "q x q C-ordered S. ptr (levels + 1,) int64; idx (entries,) int32; C (entries, k) float64;\n"
    "W (levels, k, k) float64; S (q, q) float64.\n"
    "With threads = 2, rows below `split` are one thread's and the others the second's.";

static PyObject *level_syrk(PyObject *self, PyObject *args) {
    PyObject *ptr_o, *idx_o, *V_o, *W_o, *S_o;
    Py_ssize_t k, q, split;
    int threads;
    if (!PyArg_ParseTuple(args, "OOOOnOnni", &ptr_o, &idx_o, &V_o, &W_o, &k, &S_o, &q, &split, &threads))
        return NULL;
    Buffer ptr = {0}, idx = {0}, V = {0}, W = {0}, S = {0};
    PyObject *result = NULL;
    if (k < 1 || q < 0 || split < 0 || split > q) {
        PyErr_SetString(PyExc_ValueError, "k must be positive, q non-negative and 0 <= split <= q");
        return NULL;
    }
    if (take(ptr_o, &ptr, 8, -1, 0, "ptr") || take(idx_o, &idx, 4, -1, 0, "idx")) goto done;
    Py_ssize_t levels = ptr.view.len / 8 - 1, entries = idx.view.len / 4;
    if (levels < 0) {
        PyErr_SetString(PyExc_ValueError, "ptr must have at least one item");
        goto done;
    }
    if (take(V_o, &V, 8, entries * k, 0, "C") || take(W_o, &W, 8, levels * k * k, 0, "W") ||
        take(S_o, &S, 8, q * q, 1, "S"))
        goto done;
    if (check_layout(ptr.view.buf, levels, entries)) goto done;
    Part part[2];
    for (int t = 0; t < 2; t++) {
        part[t] = (Part){ptr.view.buf, idx.view.buf, V.view.buf, W.view.buf, S.view.buf, NULL, NULL, k, q, 0, levels,
                         t == 0 ? 0 : split, t == 0 ? (threads > 1 ? split : q) : q};
    }
    Py_BEGIN_ALLOW_THREADS
    run_two(syrk_part, syrk_thread, part, threads);
    Py_END_ALLOW_THREADS
    result = Py_None;
    Py_INCREF(result);
done:
    release(&ptr);
    release(&idx);
    release(&V);
    release(&W);
    release(&S);
    return result;
}

static const char level_products_doc[] =
    "level_products(ptr, idx, U, k, P, q, Y, X, split, threads)\n\n"
    "For every level j: Y_j = U_j P[I_j, I_j] and X_j = Y_j U_j', where U_j (k x n_j) holds the\n"
    "level's entries, I_j their columns and P is symmetric, read from its lower triangle.\n"
    "ptr (levels + 1,) int64; idx (entries,) int32; U and Y (entries, k) float64 (Y written);\n"
    "P (q, q) float64; X (levels, k, k) float64 (written); k <= 16.\n"
    "With threads = 2, levels below `split` are one thread's and the others the second's.";

static PyObject *level_products(PyObject *self, PyObject *args) {
    PyObject *ptr_o, *idx_o, *U_o, *P_o, *Y_o, *X_o;
    Py_ssize_t k, q, split;
    int threads;
    if (!PyArg_ParseTuple(args, "OOOnOnOOni", &ptr_o, &idx_o, &U_o, &k, &P_o, &q, &Y_o, &X_o, &split, &threads))
        return NULL;
    Buffer ptr = {0}, idx = {0}, U = {0}, P = {0}, Y = {0}, X = {0};
    PyObject *result = NULL;
    if (k < 1 || k > 16 || q < 0) {
        PyErr_SetString(PyExc_ValueError, "k must be within 1..16 and q non-negative");
        return NULL;
    }
    if (take(ptr_o, &ptr, 8, -1, 0, "ptr") || take(idx_o, &idx, 4, -1, 0, "idx")) goto done;
    Py_ssize_t levels = ptr.view.len / 8 - 1, entries = idx.view.len / 4;
    if (levels < 0 || split < 0 || split > levels) {
        PyErr_SetString(PyExc_ValueError, "ptr must have at least one item and 0 <= split <= levels");
        goto done;
    }
    if (take(U_o, &U, 8, entries * k, 0, "U") || take(P_o, &P, 8, q * q, 0, "P") ||
        take(Y_o, &Y, 8, entries * k, 1, "Y") || take(X_o, &X, 8, levels * k * k, 1, "X"))
        goto done;
    if (check_layout(ptr.view.buf, levels, entries)) goto done;
    Part part[2];
    for (int t = 0; t < 2; t++) {
        part[t] = (Part){ptr.view.buf, idx.view.buf, U.view.buf, P.view.buf, NULL, Y.view.buf, X.view.buf, k, q,
                         t == 0 ? 0 : split, t == 0 ? (threads > 1 ? split : levels) : levels, 0, 0};
    }
    Py_BEGIN_ALLOW_THREADS
    run_two(products_part, products_thread, part, threads);
    Py_END_ALLOW_THREADS
    result = Py_None;
    Py_INCREF(result);
done:
    release(&ptr);
    release(&idx);
    release(&U);
    release(&P);
    release(&Y);
    release(&X);
    return result;
}

static PyMethodDef methods[] = {
    {"level_syrk", level_syrk, METH_VARARGS, level_syrk_doc},
    {"level_products", level_products, METH_VARARGS, level_products_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_kernels",
    "Loops over the pairs of random-effect columns within a level of the first term.", -1, methods,
};

PyMODINIT_FUNC PyInit__kernels(void) { return PyModule_Create(&module); }
