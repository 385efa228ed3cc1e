/* Elastic Load Balancing v2's botocore model (trimmed by scripts/trim-model.py),
 * embedded so the binary needs no data files.  NUL-terminated; the size
 * excludes the NUL. */
    .section .rodata
    .balign 16
    .global berth_model_elbv2
berth_model_elbv2:
    .incbin "src/server/elbv2/model.json"
    .byte 0
    .global berth_model_elbv2_end
berth_model_elbv2_end:
    .section .note.GNU-stack,"",@progbits
