"""The fixed questions the benchmarks ask: what analysts ask of the AI-policy corpus."""

from __future__ import annotations

POLICY_QUESTIONS: tuple[str, ...] = (
    "Which AI practices are prohibited under the EU AI Act?",
    "What obligations do providers of high-risk AI systems have?",
    "When do the obligations for general-purpose AI models apply?",
    "What fines can be imposed for infringements of the AI Act?",
    "What are the lawful bases for processing personal data under the GDPR?",
    "How quickly must a personal data breach be notified to the supervisory authority?",
    "What rights does a data subject have regarding automated decision-making?",
    "What are the four functions of the NIST AI Risk Management Framework core?",
    "How does NIST define a trustworthy AI system?",
    "What are the seven key requirements for trustworthy AI in the ethics guidelines?",
    "What penetration rate for intelligent terminals and agents does the AI+ plan target for 2027?",
    "What must providers of generative AI services in China do about training data?",
    "What does Executive Order 14110 require of developers of dual-use foundation models?",
    "Which executive order revoked Executive Order 14110?",
    "How does America's AI Action Plan propose to speed up data centre permitting?",
    "What are the five principles of the UK's pro-innovation approach to AI regulation?",
    "Why did the UK choose not to create a new AI regulator?",
    "What does the AI Opportunities Action Plan say about compute capacity?",
    "How should civil servants use generative AI safely according to the AI Playbook?",
    "What are Canada's goals for AI in the federal public service?",
    "How much public funding does Germany commit to artificial intelligence?",
    "What is Italy's strategy for AI in public administration?",
    "How does Japan plan to make AI trustworthy?",
    "What does Hong Kong's guideline say about the risks of generative AI hallucination?",
    "How does France plan to become an AI powerhouse?",
    "What does the EU Coordinated Plan propose for AI in healthcare?",
    "What do the executive orders say about AI education for young people?",
    "Which federal agencies must publish AI use case inventories?",
)
