/* Cloud Map's botocore model (trimmed by scripts/trim-model.py),
 * embedded so the binary needs no data files.  NUL-terminated; the size
 * excludes the NUL. */
    .section .rodata
    .balign 16
    .global berth_model_servicediscovery
berth_model_servicediscovery:
    .incbin "src/server/servicediscovery/model.json"
    .byte 0
    .global berth_model_servicediscovery_end
berth_model_servicediscovery_end:
    .section .note.GNU-stack,"",@progbits
