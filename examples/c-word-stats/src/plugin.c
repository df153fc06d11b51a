/*
 * c-word-stats: node `word-stats` counts the words, characters and lines of `input.text`.
 *
 *   prep  reads input.text (the JSON string unescaped) and passes it on as {"text": ...}
 *   exec  counts: words are runs of non-whitespace (ASCII whitespace), characters are Unicode
 *         code points, lines are newline-separated lines (0 for an empty text)
 *   post  logs one info line, stores the word count under `word-stats:last`, routes `empty`
 *         when there are no words, else `default`
 *
 * JSON stays text: pp_json_get_string reads the one field we need, pp_buf_* writes the output.
 */
#include "pocket_plugin.h"

typedef struct {
  uint64_t words, characters, lines;
} stats_t;

static stats_t count(pp_str_t text) {
  stats_t s = {0, 0, 0};
  bool in_word = false;
  for (size_t i = 0; i < text.len; i++) {
    unsigned char c = (unsigned char)text.ptr[i];
    if ((c & 0xC0) != 0x80) s.characters++; /* a UTF-8 lead byte starts a code point */
    bool space = c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
    if (!space && !in_word) s.words++;
    in_word = !space;
    if (c == '\n') s.lines++;
  }
  if (text.len > 0) s.lines++;
  return s;
}

/* The text field of a JSON object, or an invalid-input error naming the field. */
static bool read_text(pp_str_t json, const char *what, pp_str_t *text, pp_error_t *err) {
  switch (pp_json_get_string(json, "text", text)) {
    case 1: return true;
    case 0: return pp_fail_details(err, PP_INVALID_INPUT, pp_str(what), PP_STR("{\"field\":\"input.text\"}"));
    default: return pp_fail_details(err, PP_INVALID_INPUT, PP_STR("input.text: expected a string in a JSON object"), PP_STR("{\"field\":\"input.text\"}"));
  }
}

bool pp_prep(const pp_call_t *call, pp_str_t *out, pp_error_t *err) {
  pp_str_t text;
  if (!read_text(call->input, "input.text: missing required field text", &text, err)) return false;
  pp_buf_t b;
  pp_buf_init(&b);
  pp_buf_puts(&b, "{\"text\":");
  pp_buf_json_string(&b, text);
  pp_buf_putc(&b, '}');
  *out = pp_buf_done(&b);
  return true;
}

bool pp_exec(const pp_call_t *call, pp_str_t *out, pp_error_t *err) {
  pp_str_t text;
  if (!read_text(call->prep_result, "prep result has no text", &text, err)) return false;
  stats_t s = count(text);
  pp_buf_t b;
  pp_buf_init(&b);
  pp_buf_puts(&b, "{\"words\":");
  pp_buf_u64(&b, s.words);
  pp_buf_puts(&b, ",\"characters\":");
  pp_buf_u64(&b, s.characters);
  pp_buf_puts(&b, ",\"lines\":");
  pp_buf_u64(&b, s.lines);
  pp_buf_putc(&b, '}');
  *out = pp_buf_done(&b);
  return true;
}

bool pp_post(const pp_call_t *call, pp_post_result_t *out, pp_error_t *err) {
  double words = 0;
  if (pp_json_get_number(call->exec_result, "words", &words) != 1) return pp_fail(err, PP_PLUGIN_ERROR, "exec result has no words count");
  pp_buf_t n;
  pp_buf_init(&n);
  pp_buf_u64(&n, (uint64_t)words);
  pp_buf_t msg;
  pp_buf_init(&msg);
  pp_buf_puts(&msg, "counted ");
  pp_buf_str(&msg, pp_buf_done(&n));
  pp_buf_puts(&msg, words == 1 ? " word" : " words");
  pp_log_str(PP_LOG_INFO, pp_buf_done(&msg), call->exec_result);
  pp_store_set(PP_STR("word-stats:last"), pp_buf_done(&n));
  out->output = call->exec_result;
  out->next = words == 0 ? PP_STR("empty") : PP_STR("default");
  return true;
}
