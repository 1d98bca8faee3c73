/* A tiny CPython extension that is fine on the machine that built it (Debian 12, glibc 2.36) and cannot load
 * on AWS Lambda python3.11 (Amazon Linux 2, glibc 2.26): pthread_create binds to GLIBC_2.34 (the 2.34
 * libpthread merge), stat to GLIBC_2.33, exp2 to GLIBC_2.29 (libm). See build.sh. */
#include <Python.h>
#include <math.h>
#include <pthread.h>
#include <sys/stat.h>

static void *noop(void *arg) { return arg; }

static PyObject *probe(PyObject *self, PyObject *path) {
    pthread_t thread;
    struct stat st;
    const char *name = PyUnicode_AsUTF8(path);
    if (name == NULL) return NULL;
    if (pthread_create(&thread, NULL, noop, NULL) == 0) pthread_join(thread, NULL);
    if (stat(name, &st) != 0) return PyErr_SetFromErrno(PyExc_OSError);
    return PyFloat_FromDouble(exp2((double)(st.st_size % 64)));
}

static PyMethodDef methods[] = {{"probe", probe, METH_O, "2 ** (size of path % 64)"}, {NULL, NULL, 0, NULL}};
static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_demo", NULL, -1, methods};

PyMODINIT_FUNC PyInit__demo(void) { return PyModule_Create(&module); }
