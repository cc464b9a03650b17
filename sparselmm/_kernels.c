/* The loops of the blocked factor that numpy and scipy run too slowly: the two over pairs of
 * random-effect columns that share a level of the first term, a sparse matrix times a few dense
 * columns, and a tiled symmetric fill of a dense matrix (which numpy can only do through copies).
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
 * Each call may split its work over two threads: level_quadratics and csr_times by rows
 * of their output, level_syrk by rows of S (each thread writes only its rows). The GIL is
 * released meanwhile.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "_buffer.h"

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

/* One thread's part of a kernel's work. */
typedef struct {
    const int64_t *ptr;
    const int32_t *idx;
    const double *V;   /* C, entries x k */
    const double *P;   /* P (quadratics), W (syrk) */
    double *S;         /* S (syrk) */
    double *X;         /* output (quadratics) */
    int64_t k, q;
    int64_t level_lo, level_hi; /* quadratics: levels of this part */
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

/* ------------------------------------------------------------------ level_quadratics */

/* X_j = C_j P[I_j, I_j] C_j' for the levels of this part: for each entry a the k-vector
 * y_a = sum_{b < a} P[idx a, idx b] c_b is accumulated over the row of P's lower triangle, and
 * X_j += c_a y_a' + y_a c_a' + P[idx a, idx a] c_a c_a'. */
static void quadratics_part(const Part *w) {
    const int64_t *ptr = w->ptr, k = w->k, q = w->q;
    const int32_t *idx = w->idx;
    const double *C = w->V, *P = w->P;
    double *X = w->X;
    for (int64_t j = w->level_lo; j < w->level_hi; j++) {
        int64_t start = ptr[j], stop = ptr[j + 1];
        double *Xj = X + j * k * k;
        memset(Xj, 0, (size_t)(k * k) * sizeof(double));
        for (int64_t a = start; a < stop; a++) {
            const double *Prow = P + (int64_t)idx[a] * q;
            const double *ca = C + a * k;
            double y[16] = {0};
            if (k == 1) {
                double sum = 0.0;
                for (int64_t b = start; b < a; b++) sum += Prow[idx[b]] * C[b];
                y[0] = sum;
            } else if (k == 2) {
                double y0 = 0.0, y1 = 0.0;
                for (int64_t b = start; b < a; b++) {
                    double p = Prow[idx[b]];
                    y0 += p * C[2 * b];
                    y1 += p * C[2 * b + 1];
                }
                y[0] = y0;
                y[1] = y1;
            } else {
                for (int64_t b = start; b < a; b++) {
                    double p = Prow[idx[b]];
                    const double *cb = C + b * k;
                    for (int64_t r = 0; r < k; r++) y[r] += p * cb[r];
                }
            }
            double paa = Prow[idx[a]];
            for (int64_t r = 0; r < k; r++)
                for (int64_t c = 0; c < k; c++) Xj[r * k + c] += ca[r] * y[c] + y[r] * ca[c] + paa * ca[r] * ca[c];
        }
    }
}

static void *quadratics_thread(void *arg) {
    quadratics_part((const Part *)arg);
    return NULL;
}

/* work(second) on a helper thread when asked and possible, work(first) here, then both done. */
static void run_two(void *(*work)(void *), void *first, void *second, int threads) {
    pthread_t helper;
    int started = threads > 1 && pthread_create(&helper, NULL, work, second) == 0;
    work(first);
    if (started)
        pthread_join(helper, NULL);
    else if (threads > 1)
        work(second);
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
        part[t] = (Part){ptr.view.buf, idx.view.buf, V.view.buf, W.view.buf, S.view.buf, NULL, k, q, 0, levels,
                         t == 0 ? 0 : split, t == 0 ? (threads > 1 ? split : q) : q};
    }
    Py_BEGIN_ALLOW_THREADS
    run_two(syrk_thread, &part[0], &part[1], threads);
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

static const char level_quadratics_doc[] =
    "level_quadratics(ptr, idx, C, k, P, q, X, split, threads)\n\n"
    "For every level j: X_j = C_j P[I_j, I_j] C_j', where C_j (k x n_j) holds the level's entries,\n"
    "I_j their columns and P is symmetric, read from its lower triangle.\n"
    "ptr (levels + 1,) int64; idx (entries,) int32; C (entries, k) float64; P (q, q) float64;\n"
    "X (levels, k, k) float64 (written); k <= 16.\n"
    "With threads = 2, levels below `split` are one thread's and the others the second's.";

static PyObject *level_quadratics(PyObject *self, PyObject *args) {
    PyObject *ptr_o, *idx_o, *U_o, *P_o, *X_o;
    Py_ssize_t k, q, split;
    int threads;
    if (!PyArg_ParseTuple(args, "OOOnOnOni", &ptr_o, &idx_o, &U_o, &k, &P_o, &q, &X_o, &split, &threads))
        return NULL;
    Buffer ptr = {0}, idx = {0}, U = {0}, P = {0}, X = {0};
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
    if (take(U_o, &U, 8, entries * k, 0, "C") || take(P_o, &P, 8, q * q, 0, "P") ||
        take(X_o, &X, 8, levels * k * k, 1, "X"))
        goto done;
    if (check_layout(ptr.view.buf, levels, entries)) goto done;
    Part part[2];
    for (int t = 0; t < 2; t++) {
        part[t] = (Part){ptr.view.buf, idx.view.buf, U.view.buf, P.view.buf, NULL, X.view.buf, k, q,
                         t == 0 ? 0 : split, t == 0 ? (threads > 1 ? split : levels) : levels, 0, 0};
    }
    Py_BEGIN_ALLOW_THREADS
    run_two(quadratics_thread, &part[0], &part[1], threads);
    Py_END_ALLOW_THREADS
    result = Py_None;
    Py_INCREF(result);
done:
    release(&ptr);
    release(&idx);
    release(&U);
    release(&P);
    release(&X);
    return result;
}

/* ------------------------------------------------------------------ csr_times */

/* out = A X on the rows of this part: A is CSR (int32 indices), X (columns, r) C-ordered. A row's r sums
 * are kept in a small local array for the common widths, so that the compiler unrolls the inner loop. */
typedef struct {
    const int32_t *indptr, *indices;
    const double *data, *X;
    double *out;
    int64_t r, row_lo, row_hi;
} Product;

#define ROWS_OF_WIDTH(R)                                                                     \
    static void rows_of_width_##R(const Product *w) {                                        \
        for (int64_t i = w->row_lo; i < w->row_hi; i++) {                                    \
            double sum[R] = {0};                                                             \
            for (int64_t e = w->indptr[i]; e < w->indptr[i + 1]; e++) {                      \
                const double a = w->data[e], *x = w->X + (int64_t)w->indices[e] * R;       \
                for (int c = 0; c < R; c++) sum[c] += a * x[c];                              \
            }                                                                                \
            memcpy(w->out + i * R, sum, sizeof sum);                                         \
        }                                                                                    \
    }
ROWS_OF_WIDTH(1)
ROWS_OF_WIDTH(2)
ROWS_OF_WIDTH(3)
ROWS_OF_WIDTH(4)
ROWS_OF_WIDTH(6)
ROWS_OF_WIDTH(8)

static void rows_of_any_width(const Product *w) {
    const int64_t r = w->r;
    for (int64_t i = w->row_lo; i < w->row_hi; i++) {
        double *o = w->out + i * r;
        memset(o, 0, (size_t)r * sizeof(double));
        for (int64_t e = w->indptr[i]; e < w->indptr[i + 1]; e++) {
            const double a = w->data[e], *x = w->X + (int64_t)w->indices[e] * r;
            for (int64_t c = 0; c < r; c++) o[c] += a * x[c];
        }
    }
}

static void product_part(const Product *w) {
    switch (w->r) {
    case 1: rows_of_width_1(w); break;
    case 2: rows_of_width_2(w); break;
    case 3: rows_of_width_3(w); break;
    case 4: rows_of_width_4(w); break;
    case 6: rows_of_width_6(w); break;
    case 8: rows_of_width_8(w); break;
    default: rows_of_any_width(w);
    }
}

static void *product_thread(void *arg) {
    product_part((const Product *)arg);
    return NULL;
}

static const char csr_times_doc[] =
    "csr_times(indptr, indices, data, X, out, threads)\n\n"
    "out = A X for the CSR matrix A (rows x columns; indptr (rows + 1,) and indices (nnz,) int32, data (nnz,)\n"
    "float64) and X (columns, r) float64, out (rows, r) float64 (written). Indices must lie in 0..columns - 1\n"
    "(checked). With threads = 2 each thread takes the rows of half the entries.";

static PyObject *csr_times(PyObject *self, PyObject *args) {
    PyObject *indptr_o, *indices_o, *data_o, *X_o, *out_o;
    int threads;
    if (!PyArg_ParseTuple(args, "OOOOOi", &indptr_o, &indices_o, &data_o, &X_o, &out_o, &threads)) return NULL;
    Buffer indptr = {0}, indices = {0}, data = {0}, X = {0}, out = {0};
    PyObject *result = NULL;
    if (take(indptr_o, &indptr, 4, -1, 0, "indptr") || take(indices_o, &indices, 4, -1, 0, "indices") ||
        take(data_o, &data, 8, indices.view.len / 4, 0, "data") || take(X_o, &X, 8, -1, 0, "X") ||
        take(out_o, &out, 8, -1, 1, "out"))
        goto done;
    Py_ssize_t rows = indptr.view.len / 4 - 1, nnz = indices.view.len / 4;
    const int32_t *ptr = indptr.view.buf;
    if (rows < 0 || ptr[0] != 0 || ptr[rows] != nnz) {
        PyErr_SetString(PyExc_ValueError, "indptr must run from 0 to the number of entries");
        goto done;
    }
    for (Py_ssize_t i = 0; i < rows; i++)
        if (ptr[i + 1] < ptr[i]) {
            PyErr_SetString(PyExc_ValueError, "indptr must be non-decreasing");
            goto done;
        }
    if (out.view.ndim != 2 || X.view.ndim != 2 || out.view.shape[0] != rows || out.view.shape[1] != X.view.shape[1]) {
        PyErr_SetString(PyExc_ValueError, "X must be (columns, r) and out (rows, r)");
        goto done;
    }
    const int32_t *column = indices.view.buf;
    for (Py_ssize_t e = 0; e < nnz; e++)
        if (column[e] < 0 || column[e] >= X.view.shape[0]) {
            PyErr_SetString(PyExc_ValueError, "a column index of A lies outside X's rows");
            goto done;
        }
    int64_t r = X.view.shape[1], half = nnz / 2, lo = 0, hi = rows;
    while (lo < hi) { /* the first row whose entries start at or after half of them */
        int64_t middle = (lo + hi) / 2;
        if (ptr[middle] < half) lo = middle + 1; else hi = middle;
    }
    Product part[2] = {{ptr, indices.view.buf, data.view.buf, X.view.buf, out.view.buf, r, 0, threads > 1 ? lo : rows},
                       {ptr, indices.view.buf, data.view.buf, X.view.buf, out.view.buf, r, lo, rows}};
    Py_BEGIN_ALLOW_THREADS
    run_two(product_thread, &part[0], &part[1], threads);
    Py_END_ALLOW_THREADS
    result = Py_None;
    Py_INCREF(result);
done:
    release(&indptr);
    release(&indices);
    release(&data);
    release(&X);
    release(&out);
    return result;
}

static const char fill_upper_doc[] =
    "fill_upper(A, n)\n\n"
    "Copy the lower triangle of the C-ordered n x n float64 array A into its upper triangle, in tiles.";

static PyObject *fill_upper(PyObject *self, PyObject *args) {
    PyObject *A_o;
    Py_ssize_t n;
    if (!PyArg_ParseTuple(args, "On", &A_o, &n)) return NULL;
    Buffer A = {0};
    if (n < 0 || take(A_o, &A, 8, n * n, 1, "A")) {
        if (n < 0) PyErr_SetString(PyExc_ValueError, "n must be non-negative");
        release(&A);
        return NULL;
    }
    double *a = A.view.buf;
    const int64_t tile = 64;
    Py_BEGIN_ALLOW_THREADS
    for (int64_t i0 = 0; i0 < n; i0 += tile)
        for (int64_t j0 = i0; j0 < n; j0 += tile) {
            int64_t i1 = i0 + tile < n ? i0 + tile : n, j1 = j0 + tile < n ? j0 + tile : n;
            for (int64_t i = i0; i < i1; i++)
                for (int64_t j = (j0 > i + 1 ? j0 : i + 1); j < j1; j++) a[i * n + j] = a[j * n + i];
        }
    Py_END_ALLOW_THREADS
    release(&A);
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"fill_upper", fill_upper, METH_VARARGS, fill_upper_doc},
    {"level_syrk", level_syrk, METH_VARARGS, level_syrk_doc},
    {"level_quadratics", level_quadratics, METH_VARARGS, level_quadratics_doc},
    {"csr_times", csr_times, METH_VARARGS, csr_times_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_kernels",
    "The blocked factor's loops: over pairs of columns within a level, sparse times dense, a symmetric fill.", -1, methods,
};

PyMODINIT_FUNC PyInit__kernels(void) { return PyModule_Create(&module); }
