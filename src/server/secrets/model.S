/* Secrets Manager's botocore model (trimmed by scripts/trim-model.py),
 * embedded so the binary needs no data files.  NUL-terminated; the size
 * excludes the NUL. */
    .section .rodata
    .balign 16
    .global berth_model_secrets
berth_model_secrets:
    .incbin "src/server/secrets/model.json"
    .byte 0
    .global berth_model_secrets_end
berth_model_secrets_end:
    .section .note.GNU-stack,"",@progbits
