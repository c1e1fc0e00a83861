// SPDX-License-Identifier: GPL-2.0-or-later
// VesselDisplay drawing: the mapped framebuffer uploaded per damage rectangle and drawn scaled.
#include "vessel-display-private.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

G_DEFINE_FINAL_TYPE(VesselDisplay, vessel_display, GTK_TYPE_WIDGET)

guint vessel_display_signals[N_SIGNALS];

enum { PROP_0, PROP_ONE_TO_ONE, PROP_CAPTURED, N_PROPS };
static GParamSpec *props[N_PROPS];

/* Largest frame we accept: what a 256 MiB VRAM could hold, and GL's usual texture limit. */
#define FB_MAX_DIM	16384

/*
 * The shaders only sample and swizzle: XRGB8888 is B,G,R,X in memory, uploaded as RGBA bytes
 * (a format every GL and GLES 3 takes) and put back in order here.
 */
static const char vs_body[] =
	"in vec2 pos;\n"
	"out vec2 uv;\n"
	"void main() {\n"
	"	uv = vec2((pos.x + 1.0) * 0.5, (1.0 - pos.y) * 0.5);\n"
	"	gl_Position = vec4(pos, 0.0, 1.0);\n"
	"}\n";
static const char fs_body[] =
	"in vec2 uv;\n"
	"out vec4 color;\n"
	"uniform sampler2D tex;\n"
	"void main() {\n"
	"	color = vec4(texture(tex, uv).bgr, 1.0);\n"
	"}\n";

/* Draw again on the next frame, on whichever path we are. */
static void queue_redraw(VesselDisplay *self)
{
	if (self->use_texture)
		gtk_widget_queue_draw(GTK_WIDGET(self));
	else
		gtk_gl_area_queue_render(self->area);
}

static void unmap_framebuffer(VesselDisplay *self)
{
	if (self->map)
		munmap((void *)self->map, self->map_size);
	if (self->fd >= 0)
		close(self->fd);
	self->map = NULL;
	self->map_size = 0;
	self->fd = -1;
	self->width = self->height = self->stride = 0;
	g_clear_pointer(&self->damage, cairo_region_destroy);
	vessel_display_texture_drop(self);
}

static gboolean fb_args_ok(int width, int height, int stride, uint32_t fourcc, GError **error)
{
	if (fourcc != VESSEL_FOURCC_XRGB8888) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
			    "pixel format 0x%08x is not supported (only XRGB8888)", fourcc);
		return FALSE;
	}
	if (width <= 0 || height <= 0 || width > FB_MAX_DIM || height > FB_MAX_DIM ||
	    stride % 4 || stride / 4 < width) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
			    "framebuffer %dx%d with stride %d is not usable (1 to %d pixels a side, "
			    "stride a multiple of 4 and at least width * 4)", width, height, stride,
			    FB_MAX_DIM);
		return FALSE;
	}
	return TRUE;
}

/*
 * A peer that shrank the file under our mapping would crash us with SIGBUS on the next
 * upload, so the size must be sealed: by the sender (the helper seals its memfds) or here.
 */
static gboolean sealed_against_shrink(int fd)
{
	int seals = fcntl(fd, F_GET_SEALS);

	if (seals >= 0 && !(seals & F_SEAL_SHRINK) && !(seals & F_SEAL_SEAL))
		fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK);
	seals = fcntl(fd, F_GET_SEALS);
	return seals >= 0 && (seals & F_SEAL_SHRINK);
}

gboolean vessel_display_set_framebuffer(VesselDisplay *self, int memfd, int width, int height,
					int stride, uint32_t fourcc, GError **error)
{
	struct stat st;
	size_t need;
	void *map;
	int fd;

	g_return_val_if_fail(VESSEL_IS_DISPLAY(self), FALSE);
	unmap_framebuffer(self);
	queue_redraw(self);
	if (memfd < 0)
		return TRUE;
	if (!fb_args_ok(width, height, stride, fourcc, error))
		return FALSE;
	/* stride <= 4 * 16384 and height <= 16384: no overflow in size_t */
	need = (size_t)stride * (size_t)(height - 1) + (size_t)width * 4;
	if (fstat(memfd, &st) < 0 || st.st_size < 0 || (uint64_t)st.st_size < need) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
			    "the framebuffer file is smaller than %dx%d at stride %d needs",
			    width, height, stride);
		return FALSE;
	}
	if (!sealed_against_shrink(memfd)) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
			    "the framebuffer must be a memfd sealed against shrinking "
			    "(F_SEAL_SHRINK), or one we may seal");
		return FALSE;
	}
	fd = fcntl(memfd, F_DUPFD_CLOEXEC, 3);
	if (fd < 0) {
		g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
			    "cannot keep the framebuffer fd: %s", g_strerror(errno));
		return FALSE;
	}
	map = mmap(NULL, need, PROT_READ, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
			    "cannot map the framebuffer: %s", g_strerror(errno));
		close(fd);
		return FALSE;
	}
	self->fd = fd;
	self->map = map;
	self->map_size = need;
	self->width = width;
	self->height = height;
	self->stride = stride;
	self->damage = cairo_region_create();
	self->need_full_upload = TRUE;
	self->uploaded_pixels = 0;
	gtk_widget_queue_resize(GTK_WIDGET(self));
	return TRUE;
}

/*
 * Damage arrives in many small D-Bus batches while the guest draws. It is only collected
 * here; one render per frame-clock tick uploads and draws everything pending (the GLArea
 * does not auto-render, so nothing else makes it draw the whole frame again).
 */
static gboolean render_tick(GtkWidget *w, GdkFrameClock *clock, gpointer unused)
{
	VesselDisplay *self = VESSEL_DISPLAY(w);

	self->tick_id = 0;
	if (self->damage && !cairo_region_is_empty(self->damage))
		queue_redraw(self);
	return G_SOURCE_REMOVE;
}

void vessel_display_invalidate(VesselDisplay *self, int x, int y, int w, int h)
{
	cairo_rectangle_int_t r;
	int64_t x1, y1;

	g_return_if_fail(VESSEL_IS_DISPLAY(self));
	if (!self->map || w <= 0 || h <= 0)
		return;
	/* clip in 64 bits: hostile rectangles must neither overflow nor reach past the map */
	x1 = MIN((int64_t)x + w, self->width);
	y1 = MIN((int64_t)y + h, self->height);
	r.x = MAX(x, 0);
	r.y = MAX(y, 0);
	if (x1 <= r.x || y1 <= r.y)
		return;
	r.width = (int)(x1 - r.x);
	r.height = (int)(y1 - r.y);
	cairo_region_union_rectangle(self->damage, &r);
	if (!self->tick_id)
		self->tick_id = gtk_widget_add_tick_callback(GTK_WIDGET(self), render_tick, NULL,
							     NULL);
}

void vessel_display_compute_dest(VesselDisplay *self, int dev_w, int dev_h,
				 struct vessel_display_dest *d)
{
	double s;

	if (!self->width || !self->height || dev_w <= 0 || dev_h <= 0) {
		*d = (struct vessel_display_dest){ 0, 0, 0, 0, 1.0 };
		return;
	}
	s = MIN((double)dev_w / self->width, (double)dev_h / self->height);
	if (self->one_to_one)
		s = 1.0;
	d->scale = s;
	d->w = self->width * s;
	d->h = self->height * s;
	/* centred: letterbox or pillarbox bars share the spare space */
	d->x = floor((dev_w - d->w) / 2);
	d->y = floor((dev_h - d->h) / 2);
	if (self->one_to_one) {
		d->x = MAX(d->x, 0);
		d->y = MAX(d->y, 0);
	}
}

static GLuint compile(GLenum type, const char *body, gboolean es, GError **error)
{
	const char *src[2] = { es ? "#version 300 es\nprecision mediump float;\n" :
			       "#version 150\n", body };
	GLuint sh = glCreateShader(type);
	GLint ok = 0;
	char log[512] = "";

	glShaderSource(sh, 2, src, NULL);
	glCompileShader(sh);
	glGetShaderiv(sh, GL_COMPILE_STATUS, &ok);
	if (ok)
		return sh;
	glGetShaderInfoLog(sh, sizeof(log), NULL, log);
	g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "shader: %s", log);
	glDeleteShader(sh);
	return 0;
}

static gboolean make_program(VesselDisplay *self, gboolean es, GError **error)
{
	GLuint vs = compile(GL_VERTEX_SHADER, vs_body, es, error), fs = 0;
	GLint ok = 0;

	if (vs)
		fs = compile(GL_FRAGMENT_SHADER, fs_body, es, error);
	if (!fs) {
		glDeleteShader(vs);
		return FALSE;
	}
	self->program = glCreateProgram();
	glAttachShader(self->program, vs);
	glAttachShader(self->program, fs);
	glBindAttribLocation(self->program, 0, "pos");
	glLinkProgram(self->program);
	glDeleteShader(vs);
	glDeleteShader(fs);
	glGetProgramiv(self->program, GL_LINK_STATUS, &ok);
	if (!ok)
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot link the shaders");
	return ok;
}

static void area_realize(GtkGLArea *area, VesselDisplay *self)
{
	static const GLfloat quad[] = { -1, -1, 1, -1, -1, 1, 1, 1 };
	g_autoptr(GError) error = NULL;
	GdkGLContext *ctx;

	gtk_gl_area_make_current(area);
	if (gtk_gl_area_get_error(area))
		return;
	ctx = gtk_gl_area_get_context(area);
	if (!make_program(self, gdk_gl_context_get_use_es(ctx), &error)) {
		gtk_gl_area_set_error(area, error);
		return;
	}
	glGenVertexArrays(1, &self->vao);
	glBindVertexArray(self->vao);
	glGenBuffers(1, &self->vbo);
	glBindBuffer(GL_ARRAY_BUFFER, self->vbo);
	glBufferData(GL_ARRAY_BUFFER, sizeof(quad), quad, GL_STATIC_DRAW);
	glEnableVertexAttribArray(0);
	glVertexAttribPointer(0, 2, GL_FLOAT, GL_FALSE, 0, NULL);
	glBindVertexArray(0);
	glGenTextures(1, &self->tex);
	self->tex_w = self->tex_h = 0;
	self->need_full_upload = TRUE;
	gtk_gl_area_queue_render(area);
}

static void area_unrealize(GtkGLArea *area, VesselDisplay *self)
{
	gtk_gl_area_make_current(area);
	if (gtk_gl_area_get_error(area))
		return;
	glDeleteTextures(1, &self->tex);
	glDeleteBuffers(1, &self->vbo);
	glDeleteVertexArrays(1, &self->vao);
	glDeleteProgram(self->program);
	self->tex = self->vbo = self->vao = self->program = 0;
}

static void upload_rect(VesselDisplay *self, const cairo_rectangle_int_t *r)
{
	const uint8_t *p = self->map + (size_t)r->y * self->stride + (size_t)r->x * 4;

	glTexSubImage2D(GL_TEXTURE_2D, 0, r->x, r->y, r->width, r->height, GL_RGBA,
			GL_UNSIGNED_BYTE, p);
	self->uploaded_pixels += (guint64)r->width * r->height;
}

/*
 * Upload the damage: its rectangles one by one, or their bounding box in one call when the
 * box is mostly damage anyway (a guest redrawing a band sends many thin rectangles, and
 * every glTexSubImage2D has a fixed cost on top of its texels).
 */
#define MERGE_MAX_RECTS	8

static void upload_damage(VesselDisplay *self)
{
	int n = cairo_region_num_rectangles(self->damage);
	cairo_rectangle_int_t r, box;
	guint64 area = 0;

	if (n <= 0)
		return;
	cairo_region_get_extents(self->damage, &box);
	for (int i = 0; i < n; i++) {
		cairo_region_get_rectangle(self->damage, i, &r);
		area += (guint64)r.width * r.height;
	}
	if (n > MERGE_MAX_RECTS || area * 4 >= (guint64)box.width * box.height * 3) {
		upload_rect(self, &box);
		return;
	}
	for (int i = 0; i < n; i++) {
		cairo_region_get_rectangle(self->damage, i, &r);
		upload_rect(self, &r);
	}
}

/* Bring the texture up to date: all of it after a change of frame, else the damage only. */
static void upload(VesselDisplay *self)
{
	cairo_rectangle_int_t r;

	glBindTexture(GL_TEXTURE_2D, self->tex);
	glPixelStorei(GL_UNPACK_ALIGNMENT, 4);
	glPixelStorei(GL_UNPACK_ROW_LENGTH, self->stride / 4);
	if (self->need_full_upload || self->tex_w != self->width || self->tex_h != self->height) {
		/* storage is allocated once per frame size; later uploads only replace texels */
		glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA8, self->width, self->height, 0, GL_RGBA,
			     GL_UNSIGNED_BYTE, NULL);
		self->tex_w = self->width;
		self->tex_h = self->height;
		r = (cairo_rectangle_int_t){ 0, 0, self->width, self->height };
		upload_rect(self, &r);
		self->need_full_upload = FALSE;
	} else {
		upload_damage(self);
	}
	cairo_region_subtract(self->damage, self->damage);
	glPixelStorei(GL_UNPACK_ROW_LENGTH, 0);
}

static void draw_frame(VesselDisplay *self, const struct vessel_display_dest *dp, int dev_w,
		       int dev_h)
{
	struct vessel_display_dest d = *dp;
	GLint filter;

	/* exact multiples stay sharp; anything else is filtered */
	filter = d.scale == floor(d.scale) ? GL_NEAREST : GL_LINEAR;
	glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, filter);
	glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, filter);
	glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
	glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
	/* GL's window origin is bottom left */
	glViewport((GLint)d.x, (GLint)(dev_h - d.y - d.h), (GLsizei)d.w, (GLsizei)d.h);
	glUseProgram(self->program);
	glActiveTexture(GL_TEXTURE0);
	glUniform1i(glGetUniformLocation(self->program, "tex"), 0);
	glBindVertexArray(self->vao);
	glDrawArrays(GL_TRIANGLE_STRIP, 0, 4);
	glBindVertexArray(0);
	glUseProgram(0);
	glViewport(0, 0, dev_w, dev_h);
}

static gboolean area_render(GtkGLArea *area, GdkGLContext *ctx, VesselDisplay *self)
{
	int scale = gtk_widget_get_scale_factor(GTK_WIDGET(area));
	int dev_w = gtk_widget_get_width(GTK_WIDGET(area)) * scale;
	int dev_h = gtk_widget_get_height(GTK_WIDGET(area)) * scale;

	struct vessel_display_dest d;

	self->draw_count++;
	vessel_display_compute_dest(self, dev_w, dev_h, &d);
	/*
	 * On a software rasterizer every full-area pass costs milliseconds: clear only when
	 * the frame leaves bars (or there is none); the quad itself overwrites what it covers.
	 */
	if (!self->map || !self->program || d.x > 0 || d.y > 0 || d.x + d.w < dev_w ||
	    d.y + d.h < dev_h) {
		glClearColor(0, 0, 0, 1);
		glClear(GL_COLOR_BUFFER_BIT);
	}
	if (!self->map || !self->program)
		return TRUE;
	upload(self);
	draw_frame(self, &d, dev_w, dev_h);
	return TRUE;
}

gboolean vessel_display_widget_to_guest(VesselDisplay *self, double wx, double wy, int *gx,
					 int *gy)
{
	int scale = gtk_widget_get_scale_factor(GTK_WIDGET(self));
	struct vessel_display_dest d;
	double px, py;

	vessel_display_compute_dest(self, gtk_widget_get_width(GTK_WIDGET(self)) * scale,
				    gtk_widget_get_height(GTK_WIDGET(self)) * scale, &d);
	if (d.w <= 0)
		return FALSE;
	px = (wx * scale - d.x) / d.scale;
	py = (wy * scale - d.y) / d.scale;
	if (px < 0 || py < 0 || px >= self->width || py >= self->height)
		return FALSE;
	*gx = (int)px;
	*gy = (int)py;
	return TRUE;
}

void vessel_display_set_one_to_one(VesselDisplay *self, gboolean one_to_one)
{
	one_to_one = !!one_to_one;
	if (self->one_to_one == one_to_one)
		return;
	self->one_to_one = one_to_one;
	gtk_widget_queue_resize(GTK_WIDGET(self));
	queue_redraw(self);
	g_object_notify_by_pspec(G_OBJECT(self), props[PROP_ONE_TO_ONE]);
}

gboolean vessel_display_get_one_to_one(VesselDisplay *self)
{
	return self->one_to_one;
}

guint64 vessel_display_get_uploaded_pixels(VesselDisplay *self)
{
	return self->uploaded_pixels;
}

guint vessel_display_get_draw_count(VesselDisplay *self)
{
	return self->draw_count;
}

guint vessel_display_get_nodes_built(VesselDisplay *self)
{
	return self->nodes_built;
}

/* 1:1 asks for the frame's size in logical pixels so a GtkScrolledWindow can scroll it. */
static void vessel_display_measure(GtkWidget *w, GtkOrientation o, int for_size, int *min,
				   int *nat, int *min_base, int *nat_base)
{
	VesselDisplay *self = VESSEL_DISPLAY(w);
	int scale = gtk_widget_get_scale_factor(w);
	int len = o == GTK_ORIENTATION_HORIZONTAL ? self->width : self->height;

	*min = self->one_to_one ? (len + scale - 1) / scale : 1;
	*nat = MAX(*min, (len + scale - 1) / scale);
	*min_base = *nat_base = -1;
}

static gboolean emit_preferred_size(gpointer data)
{
	VesselDisplay *self = data;

	self->pref_source = 0;
	g_signal_emit(self, vessel_display_signals[SIGNAL_PREFERRED_SIZE], 0, self->pref_w,
		      self->pref_h);
	return G_SOURCE_REMOVE;
}

/* Window resizes come in bursts while the user drags; the guest hears only the last one. */
#define PREFERRED_SIZE_DELAY_MS 200

static void vessel_display_size_allocate(GtkWidget *w, int width, int height, int baseline)
{
	VesselDisplay *self = VESSEL_DISPLAY(w);
	GtkWidget *child = gtk_widget_get_first_child(w);
	int scale = gtk_widget_get_scale_factor(w);

	if (child)
		gtk_widget_allocate(child, width, height, baseline, NULL);
	/* without auto-render a new size (or scale) is drawn only when asked for */
	queue_redraw(self);
	if (self->one_to_one || (width * scale == self->pref_w && height * scale == self->pref_h))
		return;
	self->pref_w = width * scale;
	self->pref_h = height * scale;
	g_clear_handle_id(&self->pref_source, g_source_remove);
	self->pref_source = g_timeout_add(PREFERRED_SIZE_DELAY_MS, emit_preferred_size, self);
}

static void vessel_display_get_property(GObject *o, guint id, GValue *v, GParamSpec *ps)
{
	VesselDisplay *self = VESSEL_DISPLAY(o);

	if (id == PROP_ONE_TO_ONE)
		g_value_set_boolean(v, self->one_to_one);
	else if (id == PROP_CAPTURED)
		g_value_set_boolean(v, self->captured);
	else
		G_OBJECT_WARN_INVALID_PROPERTY_ID(o, id, ps);
}

static void vessel_display_set_property(GObject *o, guint id, const GValue *v, GParamSpec *ps)
{
	if (id == PROP_ONE_TO_ONE)
		vessel_display_set_one_to_one(VESSEL_DISPLAY(o), g_value_get_boolean(v));
	else
		G_OBJECT_WARN_INVALID_PROPERTY_ID(o, id, ps);
}

static void vessel_display_dispose(GObject *o)
{
	VesselDisplay *self = VESSEL_DISPLAY(o);
	GtkWidget *child;

	unmap_framebuffer(self);
	if (self->tick_id)
		gtk_widget_remove_tick_callback(GTK_WIDGET(self), self->tick_id);
	self->tick_id = 0;
	g_clear_handle_id(&self->pref_source, g_source_remove);
	gtk_widget_dispose_template(GTK_WIDGET(o), VESSEL_TYPE_DISPLAY);
	while ((child = gtk_widget_get_first_child(GTK_WIDGET(o))))
		gtk_widget_unparent(child);
	G_OBJECT_CLASS(vessel_display_parent_class)->dispose(o);
}

/*
 * The path is chosen once the window's renderer exists, before the GLArea child realizes: on
 * the texture path the GLArea stays hidden (never realized, no GL context of ours).
 */
static void vessel_display_realize(GtkWidget *w)
{
	VesselDisplay *self = VESSEL_DISPLAY(w);

	GTK_WIDGET_CLASS(vessel_display_parent_class)->realize(w);
	self->use_texture = vessel_display_pick_texture(self);
	gtk_widget_set_visible(GTK_WIDGET(self->area), !self->use_texture);
	self->need_full_upload = TRUE;
	queue_redraw(self);
}

static void vessel_display_snapshot(GtkWidget *w, GtkSnapshot *snap)
{
	VesselDisplay *self = VESSEL_DISPLAY(w);
	GtkWidget *child = gtk_widget_get_first_child(w);

	if (self->use_texture)
		vessel_display_texture_snapshot(self, snap);
	if (child)
		gtk_widget_snapshot_child(w, child, snap);
}

gboolean vessel_display_uses_texture(VesselDisplay *self)
{
	return self->use_texture;
}

static void vessel_display_class_init(VesselDisplayClass *klass)
{
	GObjectClass *oc = G_OBJECT_CLASS(klass);
	GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);

	oc->dispose = vessel_display_dispose;
	oc->get_property = vessel_display_get_property;
	oc->set_property = vessel_display_set_property;
	wc->measure = vessel_display_measure;
	wc->size_allocate = vessel_display_size_allocate;
	wc->realize = vessel_display_realize;
	wc->snapshot = vessel_display_snapshot;
	props[PROP_ONE_TO_ONE] = g_param_spec_boolean("one-to-one", NULL, NULL, FALSE,
						      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
						      G_PARAM_EXPLICIT_NOTIFY);
	props[PROP_CAPTURED] = g_param_spec_boolean("captured", NULL, NULL, FALSE,
						    G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
	g_object_class_install_properties(oc, N_PROPS, props);
	gtk_widget_class_set_template_from_resource(wc,
		"/io/github/vesselvm/Vessel/ui/vessel-display.ui");
	gtk_widget_class_bind_template_child(wc, VesselDisplay, area);
	gtk_widget_class_bind_template_child(wc, VesselDisplay, hint);
	gtk_widget_class_bind_template_callback(wc, area_realize);
	gtk_widget_class_bind_template_callback(wc, area_unrealize);
	gtk_widget_class_bind_template_callback(wc, area_render);
	gtk_widget_class_install_property_action(wc, "display.one-to-one", "one-to-one");
	gtk_widget_class_set_css_name(wc, "vessel-display");
	vessel_display_input_class_init(wc);
}

static void scale_changed(VesselDisplay *self, GParamSpec *pspec, gpointer unused)
{
	queue_redraw(self);
}

static void vessel_display_init(VesselDisplay *self)
{
	self->fd = -1;
	gtk_widget_init_template(GTK_WIDGET(self));
	g_signal_connect(self, "notify::scale-factor", G_CALLBACK(scale_changed), NULL);
	vessel_display_input_init(self);
}

VesselDisplay *vessel_display_new(void)
{
	return g_object_new(VESSEL_TYPE_DISPLAY, NULL);
}

GParamSpec *vessel_display_captured_pspec(void)
{
	return props[PROP_CAPTURED];
}
